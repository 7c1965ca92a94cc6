import { statementFor } from "../sql/placeholders.js";
import type { SqlRunner, SqlStore } from "../sql/sql-store.js";

/** A Beijing day is UTC+8, with no daylight saving. */
const BEIJING_OFFSET_MS = 8 * 3_600_000;
const DAY_MS = 86_400_000;

/** The start (epoch ms) of the Beijing day that holds `at`. */
export function beijingDayStart(at: number): number {
  return Math.floor((at + BEIJING_OFFSET_MS) / DAY_MS) * DAY_MS - BEIJING_OFFSET_MS;
}

/** The start (epoch ms) of the Beijing calendar month that holds `at`, or of the one `add` months on. */
export function beijingMonthStart(at: number, add = 0): number {
  const d = new Date(at + BEIJING_OFFSET_MS);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + add, 1) - BEIJING_OFFSET_MS;
}

/** How price history is compacted: a row per sku and Beijing day, or per sku and Beijing month. */
export type CompactionPeriod = "day" | "month";
const PERIODS: Record<CompactionPeriod, { start(at: number): number; end(start: number): number; doneKey: string }> = {
  day: { start: beijingDayStart, end: (start) => start + DAY_MS, doneKey: "price_history.compacted_before" },
  month: { start: (at) => beijingMonthStart(at), end: (start) => beijingMonthStart(start, 1), doneKey: "price_history.months_compacted_before" },
};

/** Where compaction stands: inside the period that starts at `periodStart`, after row (afterAt, afterId). */
export type CompactionCursor = { period: CompactionPeriod; periodStart: number; afterAt: number; afterId: number };

/**
 * Retention and compaction, one bounded chunk per call: every statement deletes at most `limit`
 * rows by an indexed age column, so the caller can yield to the event loop (and other writers
 * take the lock) between chunks. Nothing here reads the clock: callers pass the cutoffs.
 */
export type RetentionRepo = ReturnType<typeof createRetentionRepo>;

export function createRetentionRepo(sql: SqlStore) {
  const statement = statementFor(sql.dialect);
  const S = {
    // A run still going (or whose runner died without finishing it) keeps every log it wrote.
    messageLogsChunk: statement(
      (p) =>
        `DELETE FROM sync_message_logs WHERE id IN (SELECT l.id FROM sync_message_logs l WHERE l.at < ${p()} ` +
        `AND NOT EXISTS (SELECT 1 FROM sync_runs r WHERE r.id = l.run_id AND r.status = 'running') ORDER BY l.at LIMIT ${p()})`,
    ),
    callsChunk: statement(
      (p) =>
        `DELETE FROM sync_calls WHERE (run_id, seq) IN (SELECT c.run_id, c.seq FROM sync_calls c WHERE c.started_at < ${p()} ` +
        `AND NOT EXISTS (SELECT 1 FROM sync_runs r WHERE r.id = c.run_id AND r.status = 'running') ORDER BY c.started_at LIMIT ${p()})`,
    ),
    // Pending and quarantined messages stay whatever their age: the first still has to be applied,
    // the second waits for staff (replay). The status test repeats the partial index's condition.
    settledInboxChunk: statement(
      (p) =>
        `DELETE FROM message_inbox WHERE seq IN (SELECT seq FROM message_inbox WHERE settled_at < ${p()} AND status IN ('applied', 'rejected', 'skipped') ORDER BY settled_at LIMIT ${p()})`,
    ),
    // Summaries are kept longer than logs (the config refuses otherwise), so their logs are gone by then.
    runsChunk: statement(
      (p) => `DELETE FROM sync_runs WHERE id IN (SELECT id FROM sync_runs WHERE started_at < ${p()} AND status <> 'running' ORDER BY started_at LIMIT ${p()})`,
    ),
    loginFailuresChunk: statement((p) => `DELETE FROM login_failures WHERE id IN (SELECT id FROM login_failures WHERE at < ${p()} ORDER BY at LIMIT ${p()})`),

    metaGet: statement((p) => `SELECT value FROM store_meta WHERE key = ${p()}`),
    metaSet: statement((p) => `INSERT INTO store_meta (key, value) VALUES (${p()}, ${p()}) ON CONFLICT (key) DO UPDATE SET value = excluded.value`),
    firstPriceAtFrom: statement((p) => `SELECT min(at) AS "first" FROM price_history WHERE at >= ${p()}`),
    // Rows of one period in (at, id) order, each with whether a later row of its sku falls in the same period.
    // Parameters: end, start, end, afterAt, afterId, limit.
    periodRows: statement(
      (p) =>
        'SELECT a.id, a.supplier_id AS "supplierId", a.sku, a.at, ' +
        `EXISTS (SELECT 1 FROM price_history b WHERE b.supplier_id = a.supplier_id AND b.sku = a.sku AND b.at < ${p()} AND (b.at, b.id) > (a.at, a.id)) AS superseded ` +
        `FROM price_history a WHERE a.at >= ${p()} AND a.at < ${p()} AND (a.at, a.id) > (${p()}, ${p()}) ORDER BY a.at, a.id LIMIT ${p()}`,
    ),
    periodRange: statement(
      (p) =>
        "SELECT count(*) AS n, min(coalesce(min_price_fen, price_fen)) AS lo, max(coalesce(max_price_fen, price_fen)) AS hi " +
        `FROM price_history WHERE supplier_id = ${p()} AND sku = ${p()} AND at >= ${p()} AND at < ${p()}`,
    ),
    keepLast: statement((p) => `UPDATE price_history SET min_price_fen = ${p()}, max_price_fen = ${p()} WHERE id = ${p()}`),
    dropRest: statement((p) => `DELETE FROM price_history WHERE supplier_id = ${p()} AND sku = ${p()} AND at >= ${p()} AND at < ${p()} AND id <> ${p()}`),
  };
  /** What the store takes on disk: SQLite's pages once its WAL is folded in, PostgreSQL's database size. */
  const SIZE = {
    sqlite: {
      checkpoint: "PRAGMA wal_checkpoint(TRUNCATE)",
      pages: "SELECT page_count AS pages, freelist_count AS free, page_size AS size FROM pragma_page_count(), pragma_freelist_count(), pragma_page_size()",
    },
    postgres: { bytes: 'SELECT pg_database_size(current_database()) AS "bytes"' },
  };

  /** The period holding the first price row at or after `from`, from its start; null unless before `before`. */
  const periodFrom = async (runner: SqlRunner, period: CompactionPeriod, from: number, before: number): Promise<CompactionCursor | null> => {
    const first = (await runner.get<{ first: number | null }>(S.firstPriceAtFrom, [from]))?.first ?? null;
    if (first === null || Number(first) >= before) return null;
    return { period, periodStart: PERIODS[period].start(Number(first)), afterAt: Number.MIN_SAFE_INTEGER, afterId: 0 };
  };
  /** One chunk's statement on its own: a transaction of its own, a few milliseconds of write lock. */
  const chunk =
    (text: string, cutoffOf: (cutoff: number) => unknown = (cutoff) => cutoff) =>
    (cutoff: number, limit: number): Promise<number> =>
      sql.run(text, [cutoffOf(cutoff), limit]);

  return {
    /**
     * The database file once the WAL is folded in: pages in use plus free pages (SQLite reuses a
     * freed page before it grows the file, so retention bounds the file without a VACUUM). On
     * PostgreSQL, the database's size on disk.
     */
    async storeSize(): Promise<{ bytes: number; freeBytes: number }> {
      // PostgreSQL keeps no free-page count: the space a VACUUM frees is reused inside its files.
      if (sql.dialect === "postgres") return { bytes: Number((await sql.get<{ bytes: number }>(SIZE.postgres.bytes))?.bytes ?? 0), freeBytes: 0 };
      await sql.all(SIZE.sqlite.checkpoint);
      const size = await sql.get<{ pages: number; free: number; size: number }>(SIZE.sqlite.pages);
      return { bytes: (size?.pages ?? 0) * (size?.size ?? 0), freeBytes: (size?.free ?? 0) * (size?.size ?? 0) };
    },
    /** Message logs written before the cutoff by runs that are over. */
    messageLogsChunk: chunk(S.messageLogsChunk),
    /** Supplier call logs started before the cutoff by runs that are over. */
    callsChunk: chunk(S.callsChunk, (cutoff) => new Date(cutoff).toISOString()),
    /** Inbox rows of messages applied, rejected or skipped before the cutoff. */
    settledInboxChunk: chunk(S.settledInboxChunk),
    /** Wrong mall passwords recorded before the cutoff (the lockout reads only its own window). */
    loginFailuresChunk: chunk(S.loginFailuresChunk),
    /** Summaries of finished runs started before the cutoff. */
    runsChunk: chunk(S.runsChunk),

    /**
     * Where compaction of this period goes on: after the last period it finished, from the oldest
     * row otherwise. Null when no row from there is older than `before` (a period boundary).
     */
    async compactionStart(period: CompactionPeriod, before: number): Promise<CompactionCursor | null> {
      const done = (await sql.get<{ value: string }>(S.metaGet, [PERIODS[period].doneKey]))?.value;
      return periodFrom(sql, period, done === undefined ? -Number.MAX_SAFE_INTEGER : Number(done), before);
    },

    /**
     * Compacts up to `limit` rows of the cursor's period in one transaction: a row that is the
     * last of its sku in the period takes the period's lowest and highest price, and the period's
     * other rows of that sku go. Answers the next cursor (the next period with rows once this one
     * is through, null when that is not before `before`) and the rows removed. Everything it
     * decides on is read in the transaction, so a run again from its start (PostgreSQL) decides anew.
     */
    compactChunk(cursor: CompactionCursor, before: number, limit: number): Promise<{ next: CompactionCursor | null; removed: number }> {
      const p = PERIODS[cursor.period];
      const start = cursor.periodStart;
      const end = p.end(start);
      return sql.transaction(async (tx) => {
        const rows = await tx.all<{ id: number; supplierId: number; sku: string; at: number; superseded: number }>(S.periodRows, [
          end,
          start,
          end,
          cursor.afterAt,
          cursor.afterId,
          limit,
        ]);
        let removed = 0;
        for (const row of rows) {
          if (row.superseded) continue;
          const range = await tx.get<{ n: number; lo: number; hi: number }>(S.periodRange, [row.supplierId, row.sku, start, end]);
          if (!range || Number(range.n) < 2) continue;
          await tx.run(S.keepLast, [range.lo, range.hi, row.id]);
          removed += await tx.run(S.dropRest, [row.supplierId, row.sku, start, end, row.id]);
        }
        const last = rows.at(-1);
        if (last && rows.length === limit) return { next: { ...cursor, afterAt: Number(last.at), afterId: Number(last.id) }, removed };
        await tx.run(S.metaSet, [p.doneKey, String(end)]);
        return { next: await periodFrom(tx, cursor.period, end, before), removed };
      });
    },
  };
}
