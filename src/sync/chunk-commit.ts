import type { Logger } from "../lib/logger.js";
import type { FailureClass } from "../supplier/failure-class.js";
import type { Store } from "../store/database.js";
import type { SqlRunner } from "../store/sql/sql-store.js";
import type { NewProductRow, PriceChange, ProductRepo } from "../store/repos/product-repo.js";
import type { CallLogRepo } from "../store/repos/call-log-repo.js";
import type { InboxRepo, InboxRow } from "../store/repos/inbox-repo.js";
import type { MessageLogRepo } from "../store/repos/message-log-repo.js";
import type { RejectionReason } from "./product-validation.js";
import { type PullerSettings, retryDelayMs } from "./puller-settings.js";
import type { MessageOutcome, RunJournal } from "./run-journal.js";

/** The decided fate of one inbox message after its calls. */
export type Fate =
  { outcome: "applied" | "rejected" | "skipped"; reasons: RejectionReason[] } | { outcome: "failed"; error: string; failureClass: FailureClass };
export type Settlement = Fate & { row: InboxRow };

export type ChunkResult = {
  products: NewProductRow[];
  priceChanges: Array<PriceChange & { supplierId: number; at: number; runId: string | null }>;
  settlements: Settlement[];
};

export type CommitDeps = {
  store: Store;
  products: ProductRepo;
  inbox: InboxRepo;
  messageLogs: MessageLogRepo;
  callLogs: CallLogRepo;
  journal: RunJournal;
  settings: PullerSettings;
  supplierId: number;
  clock: () => number;
  random: () => number;
  logger: Logger;
};

/**
 * One short transaction per chunk (STYLE: no I/O inside): the products, the messages' new state
 * in the inbox, their sync-log rows and the calls made for them all land together, or none do.
 * `fence` runs first inside the transaction, through its handle, and throws to write nothing (a lost lease).
 */
export async function commitChunk(
  deps: CommitDeps,
  result: ChunkResult,
  startedAt: number,
  fence: (tx: SqlRunner) => Promise<void> = async () => undefined,
): Promise<void> {
  const now = deps.clock();
  const { journal } = deps;
  const durationMs = Math.max(0, now - startedAt);
  const calls = journal.takeUnsavedCalls();
  const committing = deps.store.sql.transaction(async (tx) => {
    // A transaction another writer won is run again from the start (PostgreSQL): nothing of the lost attempt is kept.
    const outcomes: Array<{ row: InboxRow; outcome: MessageOutcome; reasons: unknown[] }> = [];
    await fence(tx);
    await deps.products.saveProducts(tx, result.products, result.priceChanges);
    const byOutcome = new Map<"applied" | "rejected" | "skipped", number[]>();
    for (const s of result.settlements) {
      if (s.outcome === "failed") {
        const next = now + retryDelayMs(deps.settings, s.row.attempts + s.row.deferrals + 1, deps.random);
        const reasons = [{ code: 5099, field: "", message: s.error, failureClass: s.failureClass }];
        if (!countsTowardQuarantine(s.failureClass)) {
          await deps.inbox.recordDeferral(tx, s.row, s.error, next, journal.runId);
          outcomes.push({ row: s.row, outcome: "failed", reasons });
          continue;
        }
        const status = await deps.inbox.recordFailure(tx, s.row, s.error, next, deps.settings.maxAttempts, journal.runId, now);
        outcomes.push({ row: s.row, outcome: status === "quarantined" ? "quarantined" : "failed", reasons });
      } else {
        const list = byOutcome.get(s.outcome) ?? [];
        list.push(s.row.seq);
        byOutcome.set(s.outcome, list);
        outcomes.push({ row: s.row, outcome: s.outcome, reasons: s.reasons });
      }
    }
    for (const [outcome, seqs] of byOutcome) {
      const reasonText = outcome === "applied" ? null : outcome;
      await deps.inbox.settle(tx, seqs, outcome, reasonText, journal.runId, now);
    }
    await deps.messageLogs.logMessages(
      outcomes.map(({ row, outcome, reasons }) => ({
        runId: journal.runId,
        supplierId: deps.supplierId,
        messageId: row.messageId,
        type: row.type,
        sku: row.sku,
        outcome,
        reasonsJson: JSON.stringify(reasons),
        durationMs,
        callSeqsJson: JSON.stringify(journal.callSeqsFor(row.sku, row.messageId)),
        at: now,
      })),
      tx,
    );
    await deps.callLogs.logCalls(calls, tx);
    return outcomes;
  });
  const outcomes = await committing.catch((e: unknown) => {
    journal.giveBackCalls(calls);
    throw e;
  });
  for (const { row, outcome } of outcomes) journal.count(row.type, outcome);
  journal.forgetSubjects(outcomes.flatMap(({ row }) => [row.sku, row.messageId]));
}

/**
 * Only failures that would repeat for this message (a malformed answer, a signed refusal of its sku)
 * use up its attempts. A network fault, a 5xx, a re-login or our own configuration says nothing
 * about the message: it backs off and waits, however often that happens.
 */
export function countsTowardQuarantine(c: FailureClass): boolean {
  return c === "malformed" || c === "business";
}
