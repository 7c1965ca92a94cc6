import { type ConnectInput, ConnectionError, type ConnectionView } from "../connections/supplier-connections.js";
import type { Container } from "../container.js";

export type ConnectionChange = Partial<Omit<ConnectInput, "code" | "username" | "password" | "appSecret">>;

/**
 * Schedules, limits and transport of an existing connection, keeping the account the supplier
 * issued the mall: its stored secrets are opened only to write the connection again.
 */
export function updateConnection(container: Container, code: string, change: ConnectionChange): { before: ConnectionView; after: ConnectionView } {
  const before = container.supplierConnections.show(code);
  const supplier = container.repos.accounts.supplierByCode(code);
  const row = supplier ? container.repos.connections.connectionOf(supplier.id) : undefined;
  if (!row) throw new ConnectionError("not_found", `supplier ${code} is not connected`);
  const after = container.supplierConnections.connect({
    code,
    baseUrl: before.baseUrl,
    username: row.username,
    password: container.keys.decrypt(row.passwordEnc),
    appSecret: container.keys.decrypt(row.appSecretEnc),
    signMode: before.signMode,
    bodyFormat: before.bodyFormat,
    pullSchedule: before.pullSchedule,
    stockSchedule: before.stockSchedule,
    stockAreas: before.stockAreas,
    maxConcurrent: before.maxConcurrent,
    qps: before.qps,
    timeoutMs: before.timeoutMs,
    ...change,
  });
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
