import { DomainError } from "../lib/errors.js";
import type { Config } from "../config/config.js";
import type { SupplierRow } from "../store/repos/account-repo.js";
import type { InboxRow } from "../store/repos/inbox-repo.js";
import type { MessageLogFilter } from "../store/repos/message-log-repo.js";
import { ADVERTISING_LAW_TERMS } from "./product-validation.js";
import { DEFAULT_PULLER_SETTINGS, type PullerSettings } from "./puller-settings.js";
import { type RunAttempt, type RunTrigger, type SyncRunnerDeps, createSyncRunner } from "./sync-runner.js";

/** The production gate as the puller sees it: throws (naming why) when the supplier may not be pulled. */
export type PullGate = { require(supplierId: number, supplierCode: string): Promise<void> };

export class SyncError extends DomainError {
  override readonly name = "SyncError";
  declare readonly kind: "not_found" | "invalid";
  constructor(kind: "not_found" | "invalid", message: string) {
    super(kind, message);
  }
}

export type SyncService = ReturnType<typeof createSyncService>;

export type QuarantineEntry = {
  messageId: string;
  type: number;
  sku: string;
  /** True when the message itself breaks the contract (it was never applied). */
  unparseable: boolean;
  /** field: rule for an unparseable message, else the last error. Never a personal-data value. */
  reason: string | null;
  attempts: number;
  /** The message as stored: raw when unparseable, its `result` otherwise. */
  raw: unknown;
  receivedAt: string;
  quarantinedAt: string | null;
  lastRunId: string | null;
};

function quarantineEntry(row: InboxRow): QuarantineEntry {
  let raw: unknown;
  try {
    raw = JSON.parse(row.payloadJson);
  } catch {
    raw = row.payloadJson;
  }
  return {
    messageId: row.messageId,
    type: row.type,
    sku: row.sku,
    unparseable: row.parseError !== null,
    reason: row.parseError ?? row.lastError,
    attempts: row.attempts,
    raw,
    receivedAt: new Date(row.receivedAt).toISOString(),
    quarantinedAt: row.settledAt === null ? null : new Date(row.settledAt).toISOString(),
    lastRunId: row.lastRunId,
  };
}

/** The puller's one door: runs, replays, and what the sync log says. Used by the CLI, scheduler and admin API. */
export function createSyncService(
  deps: Omit<SyncRunnerDeps, "settings"> & { config: Config; clock: () => number; gate: PullGate; settings?: Partial<PullerSettings> },
) {
  const settings: PullerSettings = {
    ...DEFAULT_PULLER_SETTINGS,
    maxAttempts: deps.config.PULL_MAX_ATTEMPTS,
    leaseTtlMs: deps.config.PULL_LEASE_MS,
    retryBaseMs: deps.config.PULL_RETRY_BASE_MS,
    bannedTerms: [
      ...ADVERTISING_LAW_TERMS,
      ...deps.config.BANNED_TERMS.split(",")
        .map((t) => t.trim())
        .filter(Boolean),
    ],
    ...deps.settings,
  };
  const runner = createSyncRunner({ ...deps, settings });

  const knownSupplier = async (code: string): Promise<SupplierRow> => {
    const s = await deps.accounts.supplierByCode(code);
    if (!s) throw new SyncError("not_found", `no supplier with code ${code}`);
    return s;
  };
  const supplierOf = async (code: string): Promise<SupplierRow> => {
    const s = await knownSupplier(code);
    if (!(await deps.connections.isConnected(s.id))) throw new SyncError("not_found", `supplier ${code} is not connected (npm run cli -- supplier connect …)`);
    return s;
  };
  /** Only a supplier with a valid trust mark (or a waiver) is pulled. */
  const gated = async (code: string): Promise<SupplierRow> => {
    const s = await supplierOf(code);
    await deps.gate.require(s.id, s.code);
    return s;
  };

  return {
    settings,
    runner,
    async pull(code: string, trigger: RunTrigger = "manual", onProgress?: Parameters<typeof runner.pull>[2]): Promise<RunAttempt> {
      return runner.pull((await gated(code)).id, trigger, onProgress);
    },
    async stock(code: string): Promise<RunAttempt> {
      return runner.stock((await gated(code)).id);
    },
    /** Quarantined messages back to the inbox, then a run that applies them through the same path. */
    async replay(code: string, messageIds: readonly string[] | "all-quarantined"): Promise<{ requeued: number; attempt: RunAttempt }> {
      const supplier = await gated(code);
      const requeued = await deps.inbox.requeue(supplier.id, messageIds, deps.clock());
      // Named ids none of which is in quarantine (mistyped, another supplier's, already replayed):
      // saying "replayed" and starting a run would tell staff something happened that did not.
      if (requeued === 0 && messageIds !== "all-quarantined") {
        throw new SyncError("not_found", `none of the messages ${messageIds.join(", ")} is in ${code}'s quarantine`);
      }
      return { requeued, attempt: await runner.pull(supplier.id, "replay") };
    },
    async quarantined(code: string) {
      return deps.inbox.quarantined((await supplierOf(code)).id);
    },
    /** Quarantined messages as staff read them: the reason, and the body as the supplier sent it. */
    async quarantineEntries(code: string): Promise<QuarantineEntry[]> {
      return (await deps.inbox.quarantined((await supplierOf(code)).id)).map(quarantineEntry);
    },
    // History reads need only the supplier: one not connected (yet, or any more) still has its logs.
    async runs(filter: { supplier?: string; limit: number; before?: number }) {
      const supplierId = filter.supplier === undefined ? undefined : (await knownSupplier(filter.supplier)).id;
      return deps.syncRuns.runs({ supplierId, limit: filter.limit, before: filter.before });
    },
    async messageLogs(filter: Omit<MessageLogFilter, "supplierId"> & { supplier?: string }) {
      const supplierId = filter.supplier === undefined ? undefined : (await knownSupplier(filter.supplier)).id;
      return deps.messageLogs.messageLogs({ ...filter, supplierId });
    },
    callsOf: (runId: string, seqs?: readonly number[]) => deps.callLogs.callsOf(runId, seqs),
  };
}
