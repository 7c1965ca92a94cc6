import type { Config } from "../config/config.js";
import type { Logger } from "../lib/logger.js";
import { type CompactionPeriod, type RetentionRepo, beijingDayStart, beijingMonthStart } from "../store/repos/retention-repo.js";

const DAY_MS = 86_400_000;
/** Rows one statement removes: a few milliseconds of write lock, so pulls and signed calls go on between chunks. */
const RETENTION_CHUNK_ROWS = 2_000;

/** Wrong mall passwords count for 15 minutes (§2.1 lockout); a day of them is kept for whoever looks into one. */
const LOGIN_FAILURE_KEEP_MS = DAY_MS;

type RetentionCutoffs = { logsBefore: number; runsBefore: number; priceDaysBefore: number; priceMonthsBefore: number; loginFailuresBefore: number };
export type RetentionReport = { runs: number; messages: number; calls: number; inbox: number; priceRows: number; loginFailures: number };

export type RetentionService = ReturnType<typeof createRetentionService>;

/**
 * Keeps the store's size bounded: the sync log (per-message logs, call logs, settled inbox rows)
 * past SYNC_LOG_RETENTION_DAYS, run summaries past SYNC_RUN_RETENTION_DAYS, price history past
 * PRICE_HISTORY_FULL_DAYS compacted to one row per sku and Beijing day and, past a further
 * PRICE_HISTORY_DAILY_DAYS, to one row per sku and Beijing month; wrong mall passwords past a day.
 * The audit log, orders and their timeline, quarantine and conformance runs (reports) and trust
 * marks are records, never removed here; the published signing keys rely on it (signing-keys.ts).
 */
export function createRetentionService(deps: {
  repo: RetentionRepo;
  config: Pick<Config, "SYNC_LOG_RETENTION_DAYS" | "SYNC_RUN_RETENTION_DAYS" | "PRICE_HISTORY_FULL_DAYS" | "PRICE_HISTORY_DAILY_DAYS">;
  clock: () => number;
  logger: Logger;
  chunkRows?: number;
}) {
  const limit = deps.chunkRows ?? RETENTION_CHUNK_ROWS;
  const log = deps.logger.child({ component: "retention" });

  const cutoffs = (now: number): RetentionCutoffs => ({
    logsBefore: now - deps.config.SYNC_LOG_RETENTION_DAYS * DAY_MS,
    runsBefore: now - deps.config.SYNC_RUN_RETENTION_DAYS * DAY_MS,
    // Whole Beijing days and months only, so a period is compacted once, never half of it.
    priceDaysBefore: beijingDayStart(now - deps.config.PRICE_HISTORY_FULL_DAYS * DAY_MS),
    priceMonthsBefore: beijingMonthStart(now - (deps.config.PRICE_HISTORY_FULL_DAYS + deps.config.PRICE_HISTORY_DAILY_DAYS) * DAY_MS),
    loginFailuresBefore: now - LOGIN_FAILURE_KEEP_MS,
  });

  /** One chunk per step, each in its own short transaction; the report fills in as it goes. */
  async function* steps(report: RetentionReport): AsyncGenerator<void> {
    const c = cutoffs(deps.clock());
    const drain = async function* (
      chunk: (cutoff: number, limit: number) => Promise<number>,
      cutoff: number,
      key: keyof RetentionReport,
    ): AsyncGenerator<void> {
      for (let n = limit; n === limit; yield) {
        n = await chunk(cutoff, limit);
        report[key] += n;
      }
    };
    yield* drain(deps.repo.messageLogsChunk, c.logsBefore, "messages");
    yield* drain(deps.repo.callsChunk, c.logsBefore, "calls");
    yield* drain(deps.repo.settledInboxChunk, c.logsBefore, "inbox");
    yield* drain(deps.repo.runsChunk, c.runsBefore, "runs");
    yield* drain(deps.repo.loginFailuresChunk, c.loginFailuresBefore, "loginFailures");
    const compact = async function* (period: CompactionPeriod, before: number): AsyncGenerator<void> {
      for (let cursor = await deps.repo.compactionStart(period, before); cursor !== null; yield) {
        const { next, removed } = await deps.repo.compactChunk(cursor, before, limit);
        report.priceRows += removed;
        cursor = next;
      }
    };
    yield* compact("day", c.priceDaysBefore);
    yield* compact("month", c.priceMonthsBefore);
  }

  const empty = (): RetentionReport => ({ runs: 0, messages: 0, calls: 0, inbox: 0, priceRows: 0, loginFailures: 0 });
  const done = (report: RetentionReport, startedAt: number) =>
    log.info({ event: "retention.done", ...report, durationMs: Date.now() - startedAt }, "retention done");

  return {
    storeSize: () => deps.repo.storeSize(),
    /** Every step to the end, yielding to the event loop between chunks (the scheduled job, the CLI). */
    async run(): Promise<RetentionReport> {
      const startedAt = Date.now();
      const report = empty();
      for await (const _ of steps(report)) await new Promise<void>((resolve) => setImmediate(resolve));
      done(report, startedAt);
      return report;
    },
    /** The same without turning the event loop between chunks, for a process that serves nothing meanwhile (the growth benchmark). */
    async runNow(): Promise<RetentionReport> {
      const startedAt = Date.now();
      const report = empty();
      for await (const _ of steps(report));
      done(report, startedAt);
      return report;
    },
  };
}
