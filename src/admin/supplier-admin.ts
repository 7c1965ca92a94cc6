import { type ConnectInput, ConnectionError, type ConnectionView, type SupplierConnections } from "../connections/supplier-connections.js";
import type { KeyRing } from "../security/key-ring.js";
import type { AccountRepo } from "../store/repos/account-repo.js";
import type { ConnectionRepo } from "../store/repos/connection-repo.js";
import type { SqlRunner } from "../store/sql/sql-store.js";

export type ConnectionChange = Partial<Omit<ConnectInput, "code" | "username" | "password" | "appSecret">>;

/** Where a connection change reads the stored account and writes the connection again. */
export type ConnectionUpdateDeps = {
  supplierConnections: Pick<SupplierConnections, "show" | "connect">;
  accounts: Pick<AccountRepo, "supplierByCode">;
  connections: Pick<ConnectionRepo, "connectionOf">;
  keys: Pick<KeyRing, "decrypt">;
};

/**
 * Schedules, limits and transport of an existing connection, keeping the account the supplier
 * issued the mall: its stored secrets are opened only to write the connection again. Reads and
 * writes in `tx` when given (with its audit row).
 */
export async function updateConnection(
  deps: ConnectionUpdateDeps,
  code: string,
  change: ConnectionChange,
  tx?: SqlRunner,
): Promise<{ before: ConnectionView; after: ConnectionView }> {
  const before = await deps.supplierConnections.show(code, tx);
  const supplier = await deps.accounts.supplierByCode(code, tx);
  const row = supplier ? await deps.connections.connectionOf(supplier.id, tx) : undefined;
  if (!row) throw new ConnectionError("not_found", `supplier ${code} is not connected`);
  const after = await deps.supplierConnections.connect(
    {
      code,
      baseUrl: before.baseUrl,
      username: row.username,
      password: deps.keys.decrypt(row.passwordEnc),
      appSecret: deps.keys.decrypt(row.appSecretEnc),
      signMode: before.signMode,
      bodyFormat: before.bodyFormat,
      pullSchedule: before.pullSchedule,
      stockSchedule: before.stockSchedule,
      stockAreas: before.stockAreas,
      maxConcurrent: before.maxConcurrent,
      qps: before.qps,
      timeoutMs: before.timeoutMs,
      ...change,
    },
    tx,
  );
  return { before, after };
}

/** What an auditor needs to compare a connection before and after, without the account. */
export const connectionSummary = (c: ConnectionView) => ({
  baseUrl: c.baseUrl,
  signMode: c.signMode,
  bodyFormat: c.bodyFormat,
  pullSchedule: c.pullSchedule,
  stockSchedule: c.stockSchedule,
  stockAreas: c.stockAreas,
  maxConcurrent: c.maxConcurrent,
  qps: c.qps,
  timeoutMs: c.timeoutMs,
});
