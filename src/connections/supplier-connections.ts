import { DomainError } from "../lib/errors.js";
import { validate as validateCron } from "node-cron";
import { z } from "zod";
import { areaPath, signModes } from "../contract/index.js";
import type { Logger } from "../lib/logger.js";
import type { KeyRing } from "../security/key-ring.js";
import type { AccountRepo, SupplierRow } from "../store/repos/account-repo.js";
import type { CallBudgetRepo } from "../store/repos/call-budget-repo.js";
import type { ConnectionRepo, ConnectionRow } from "../store/repos/connection-repo.js";
import type { SqlRunner } from "../store/sql/sql-store.js";
import type { SharedCallBudget } from "../supplier/call-budget.js";
import { type CallRecorder, noCallRecorder } from "../supplier/call-recorder.js";
import { SupplierClient } from "../supplier/supplier-client.js";

/**
 * How the mall reaches each supplier's API (§5): base URL, the account the supplier issued the
 * mall (secrets encrypted at rest), signing, body encoding, schedules and limits.
 */
export const DEFAULT_PULL_SCHEDULE = "* * * * *";
export const DEFAULT_STOCK_SCHEDULE = "*/15 * * * *";

const cron = z
  .string()
  .trim()
  .refine((v) => validateCron(v), { message: "not a valid cron expression" });

export const ConnectInput = z.object({
  code: z.string().trim().min(1),
  baseUrl: z.url({ protocol: /^https?$/, message: "an http(s) URL" }).transform((u) => u.replace(/\/+$/, "")),
  username: z.string().trim().min(1).max(64),
  password: z.string().min(1).max(128),
  appSecret: z.string().min(16, "appSecret: at least 16 characters").max(256),
  signMode: z.enum(signModes).default("hmac-sha256"),
  bodyFormat: z.enum(["form", "json"]).default("form"),
  pullSchedule: cron.default(DEFAULT_PULL_SCHEDULE),
  stockSchedule: cron.default(DEFAULT_STOCK_SCHEDULE),
  stockAreas: z.array(areaPath).min(1).default(["120000_120100_120101"]),
  maxConcurrent: z.number().int().min(1).max(64).default(4),
  qps: z.number().int().min(1).max(10_000).default(20),
  timeoutMs: z.number().int().min(500).max(120_000).default(10_000),
});
export type ConnectInput = z.input<typeof ConnectInput>;

export type ConnectionView = Omit<ConnectionRow, "passwordEnc" | "appSecretEnc" | "stockAreasJson" | "enabled"> & {
  supplierCode: string;
  stockAreas: string[];
  enabled: boolean;
};

export class ConnectionError extends DomainError {
  override readonly name = "ConnectionError";
  declare readonly kind: "invalid" | "not_found";
  constructor(kind: "invalid" | "not_found", message: string) {
    super(kind, message);
  }
}

export type SupplierConnections = ReturnType<typeof createSupplierConnections>;

export function createSupplierConnections(deps: {
  accounts: AccountRepo;
  repo: ConnectionRepo;
  keys: KeyRing;
  platformCode: string;
  logger: Logger;
  clock?: () => number;
  /** Sees every call of every client (metrics), besides the recorder a run passes in. */
  callObserver?: CallRecorder;
  /** Each supplier's maxConcurrent and QPS as shared by every instance on the database. */
  callBudget?: CallBudgetRepo;
}) {
  const clock = deps.clock ?? Date.now;
  const clients = new Map<number, { version: string; client: SupplierClient }>();
  /**
   * What the client is built from. Not updatedAt: two saves within one millisecond (or under a
   * stopped test clock) would keep a client built from the older row. Secrets are compared in their
   * encrypted form, which changes on every save.
   */
  const versionOf = (row: ConnectionRow): string =>
    JSON.stringify([row.baseUrl, row.username, row.passwordEnc, row.appSecretEnc, row.signMode, row.bodyFormat, row.timeoutMs, row.maxConcurrent, row.qps]);

  const observed = (recorder: CallRecorder | undefined): CallRecorder => {
    const observer = deps.callObserver;
    if (!observer) return recorder ?? noCallRecorder;
    if (!recorder) return observer;
    return { record: (call) => (observer.record(call), recorder.record(call)) };
  };

  const budgetOf = (supplierId: number): SharedCallBudget | undefined => {
    const repo = deps.callBudget;
    if (!repo) return undefined;
    return {
      claimSlot: (maxConcurrent, leaseMs) => repo.claimSlot(supplierId, maxConcurrent, leaseMs),
      renewSlot: (claim, leaseMs) => repo.renewSlot(supplierId, claim, leaseMs),
      releaseSlot: (claim) => repo.releaseSlot(supplierId, claim),
      bookCalls: (callsPerSecond, burst, count) => repo.bookCalls(supplierId, callsPerSecond, burst, count),
    };
  };

  const supplierOf = async (code: string, tx?: SqlRunner): Promise<SupplierRow> => {
    const s = await deps.accounts.supplierByCode(code, tx);
    if (!s) throw new ConnectionError("not_found", `no supplier with code ${code}`);
    return s;
  };
  const view = (supplier: SupplierRow, row: ConnectionRow): ConnectionView => {
    const { passwordEnc: _p, appSecretEnc: _s, stockAreasJson, enabled, ...rest } = row;
    return { ...rest, supplierCode: supplier.code, stockAreas: JSON.parse(stockAreasJson) as string[], enabled: enabled === 1 };
  };

  return {
    /** Reads and writes in `tx` when given (with its audit row). */
    async connect(input: ConnectInput, tx?: SqlRunner): Promise<ConnectionView> {
      const parsed = ConnectInput.safeParse(input);
      if (!parsed.success) throw new ConnectionError("invalid", parsed.error.issues.map((i) => `${i.path.join(".") || "input"}: ${i.message}`).join("; "));
      const c = parsed.data;
      const supplier = await supplierOf(c.code, tx);
      const now = clock();
      const row: ConnectionRow = {
        supplierId: supplier.id,
        baseUrl: c.baseUrl,
        username: c.username,
        passwordEnc: deps.keys.encrypt(c.password),
        appSecretEnc: deps.keys.encrypt(c.appSecret),
        signMode: c.signMode,
        bodyFormat: c.bodyFormat,
        pullSchedule: c.pullSchedule,
        stockSchedule: c.stockSchedule,
        stockAreasJson: JSON.stringify(c.stockAreas),
        maxConcurrent: c.maxConcurrent,
        qps: c.qps,
        timeoutMs: c.timeoutMs,
        enabled: 1,
        createdAt: now,
        updatedAt: now,
      };
      await deps.repo.saveConnection(row, tx);
      return view(supplier, row);
    },

    async show(code: string, tx?: SqlRunner): Promise<ConnectionView> {
      const supplier = await supplierOf(code, tx);
      const row = await deps.repo.connectionOf(supplier.id, tx);
      if (!row) throw new ConnectionError("not_found", `supplier ${code} is not connected (supplier connect)`);
      return view(supplier, row);
    },

    /** A connection row exists (enabled or not): what the puller needs before it touches the supplier. */
    isConnected: async (supplierId: number): Promise<boolean> => (await deps.repo.connectionOf(supplierId)) !== undefined,

    async list(): Promise<ConnectionView[]> {
      const views: ConnectionView[] = [];
      for (const row of await deps.repo.enabledConnections()) {
        const supplier = await deps.accounts.supplierById(row.supplierId);
        if (supplier) views.push(view(supplier, row));
      }
      return views;
    },

    /**
     * One client per connected supplier, kept while its connection is unchanged and rebuilt when it
     * changes: the puller, the stock refresh and the order pusher share its limiter (the supplier's
     * maxConcurrent and QPS hold for all of them together, and through the shared call budget for
     * every instance on the database) and its token (one login). With a
     * `recorder`, a view of that same client that records its calls there (a sync run's journal).
     */
    async clientFor(supplierId: number, recorder?: CallRecorder): Promise<SupplierClient> {
      const row = await deps.repo.connectionOf(supplierId);
      const supplier = await deps.accounts.supplierById(supplierId);
      if (!row || !supplier) throw new ConnectionError("not_found", `supplier ${supplierId} is not connected`);
      let cached = clients.get(supplierId);
      const version = versionOf(row);
      if (!cached || cached.version !== version) {
        // Calls still waiting on the old client answer "not sent", which every caller retries later.
        void cached?.client.close();
        cached = {
          version,
          client: new SupplierClient(
            {
              supplier: supplier.code,
              baseUrl: row.baseUrl,
              username: row.username,
              password: deps.keys.decrypt(row.passwordEnc),
              appSecret: deps.keys.decrypt(row.appSecretEnc),
              signMode: row.signMode,
              platformCode: deps.platformCode,
              bodyFormat: row.bodyFormat,
              timeoutMs: row.timeoutMs,
              maxConcurrent: row.maxConcurrent,
              qps: row.qps,
            },
            { recorder: observed(undefined), budget: budgetOf(supplierId) },
          ),
        };
        clients.set(supplierId, cached);
      }
      return recorder ? cached.client.withRecorder(observed(recorder)) : cached.client;
    },

    async closeAll(): Promise<void> {
      await Promise.all([...clients.values()].map((c) => c.client.close()));
      clients.clear();
    },
  };
}
