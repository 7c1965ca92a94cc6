import type { SupplierOperationName } from "../contract/index.js";
import type { CallRecord, CallRecorder } from "../supplier/call-recorder.js";
import type { CallRow } from "../store/repos/call-log-repo.js";
import type { MessageLogRow } from "../store/repos/message-log-repo.js";

export type MessageOutcome = MessageLogRow["outcome"];
export type RunCounts = Record<string, Record<MessageOutcome | "received", number>>;
export type RunError = { at: string; endpoint?: string; kind: string; code?: number; message: string };

/**
 * Everything one run learns, kept in memory until it is written with the page it belongs to:
 * the supplier calls (numbered), each message's fate, counts by type and outcome, run errors.
 * Calls leave memory once written and a message's call links once it is settled, so a run of
 * 100,000 messages holds no more than its backlog.
 */
export class RunJournal implements CallRecorder {
  /** Recorded and not yet written, in seq order. */
  private unsaved: CallRow[] = [];
  private recorded = 0;
  readonly counts: RunCounts = {};
  readonly errors: RunError[] = [];
  callsByOperation: Partial<Record<SupplierOperationName, number>> = {};
  /** sku or message id → the seqs of calls about it. */
  private readonly bySubject = new Map<string, number[]>();

  constructor(
    readonly runId: string,
    private readonly now: () => number,
  ) {}

  record(record: CallRecord): void {
    const seq = ++this.recorded;
    this.unsaved.push({
      runId: this.runId,
      seq,
      operation: record.operation,
      endpoint: record.endpoint,
      attempt: record.attempt,
      startedAt: record.startedAt,
      durationMs: record.durationMs,
      outcome: record.outcome,
      errorCode: record.errorCode ?? null,
      httpStatus: record.httpStatus ?? null,
      batchSize: record.batchSize ?? null,
      subject: record.subject ?? null,
      message: record.message ?? null,
    });
    this.callsByOperation[record.operation] = (this.callsByOperation[record.operation] ?? 0) + 1;
    for (const subject of record.subject?.split(",") ?? []) {
      const seqs = this.bySubject.get(subject);
      if (seqs) seqs.push(seq);
      else this.bySubject.set(subject, [seq]);
    }
  }

  /**
   * Calls recorded and not yet written, for writing with the current chunk: taken, so a chunk
   * committing beside this one does not write them too. A chunk that rolls back gives them back.
   */
  takeUnsavedCalls(): CallRow[] {
    const taken = this.unsaved;
    this.unsaved = [];
    return taken;
  }

  /** Calls of a chunk that rolled back: written with the next chunk or at the end of the run. */
  giveBackCalls(rows: readonly CallRow[]): void {
    if (rows.length > 0) this.unsaved = [...rows, ...this.unsaved].sort((a, b) => a.seq - b.seq);
  }

  count(type: number | "stock", outcome: MessageOutcome | "received", n = 1): void {
    const byType = (this.counts[String(type)] ??= { received: 0, applied: 0, rejected: 0, failed: 0, skipped: 0, quarantined: 0 });
    byType[outcome] += n;
  }

  error(e: Omit<RunError, "at">): void {
    this.errors.push({ at: new Date(this.now()).toISOString(), ...e });
  }

  /** The calls of this run about a sku or a message id, in order. */
  callSeqsFor(sku: string, messageId: string): number[] {
    const a = this.bySubject.get(sku) ?? [];
    const b = this.bySubject.get(messageId) ?? [];
    return b.length === 0 ? [...a] : [...new Set([...a, ...b])].sort((x, y) => x - y);
  }

  /** Forgets the call links of settled messages: their log rows are written. */
  forgetSubjects(subjects: Iterable<string>): void {
    for (const subject of subjects) this.bySubject.delete(subject);
  }

  get callsMade(): number {
    return this.recorded;
  }
}
