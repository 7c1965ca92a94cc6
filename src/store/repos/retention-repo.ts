import type { Store } from "../database.js";

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

export function createRetentionRepo(store: Store) {
  const { connection: sqlite } = store;
  // A run still going (or whose runner died without finishing it) keeps every log it wrote.
  const messageLogsChunk = sqlite.prepare(
    "DELETE FROM sync_message_logs WHERE id IN (SELECT l.id FROM sync_message_logs l WHERE l.at < ? " +
      "AND NOT EXISTS (SELECT 1 FROM sync_runs r WHERE r.id = l.run_id AND r.status = 'running') ORDER BY l.at LIMIT ?)",
  );
  const callsChunk = sqlite.prepare(
    "DELETE FROM sync_calls WHERE (run_id, seq) IN (SELECT c.run_id, c.seq FROM sync_calls c WHERE c.started_at < ? " +
      "AND NOT EXISTS (SELECT 1 FROM sync_runs r WHERE r.id = c.run_id AND r.status = 'running') ORDER BY c.started_at LIMIT ?)",
  );
  // Pending and quarantined messages stay whatever their age: the first still has to be applied,
  // the second waits for staff (replay). The status test repeats the partial index's condition.
  const settledInboxChunk = sqlite.prepare(
    "DELETE FROM message_inbox WHERE seq IN (SELECT seq FROM message_inbox WHERE settled_at < ? AND status IN ('applied', 'rejected', 'skipped') ORDER BY settled_at LIMIT ?)",
  );
  // Summaries are kept longer than logs (the config refuses otherwise), so their logs are gone by then.
  const runsChunk = sqlite.prepare(
    "DELETE FROM sync_runs WHERE id IN (SELECT id FROM sync_runs WHERE started_at < ? AND status <> 'running' ORDER BY started_at LIMIT ?)",
  );

  const loginFailuresChunk = sqlite.prepare("DELETE FROM login_failures WHERE id IN (SELECT id FROM login_failures WHERE at < ? ORDER BY at LIMIT ?)");

  const metaGet = sqlite.prepare("SELECT value FROM store_meta WHERE key = ?").pluck();
  const metaSet = sqlite.prepare("INSERT INTO store_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value");
  const firstPriceAtFrom = sqlite.prepare("SELECT min(at) FROM price_history WHERE at >= ?").pluck();
  // Rows of one period in (at, id) order, each with whether a later row of its sku falls in the same period.
  const periodRows = sqlite.prepare(
    "SELECT a.id, a.supplier_id AS supplierId, a.sku, a.at, " +
      "EXISTS (SELECT 1 FROM price_history b WHERE b.supplier_id = a.supplier_id AND b.sku = a.sku AND b.at < @end AND (b.at, b.id) > (a.at, a.id)) AS superseded " +
      "FROM price_history a WHERE a.at >= @start AND a.at < @end AND (a.at, a.id) > (@afterAt, @afterId) ORDER BY a.at, a.id LIMIT @limit",
  );
  const periodRange = sqlite.prepare(
    "SELECT count(*) AS n, min(coalesce(min_price_fen, price_fen)) AS lo, max(coalesce(max_price_fen, price_fen)) AS hi " +
      "FROM price_history WHERE supplier_id = ? AND sku = ? AND at >= ? AND at < ?",
  );
  const keepLast = sqlite.prepare("UPDATE price_history SET min_price_fen = ?, max_price_fen = ? WHERE id = ?");
  const dropRest = sqlite.prepare("DELETE FROM price_history WHERE supplier_id = ? AND sku = ? AND at >= ? AND at < ? AND id <> ?");

  const pageSize = sqlite.pragma("page_size", { simple: true }) as number;
  const databaseSize = store.dialect === "postgres" ? sqlite.prepare("SELECT pg_database_size(current_database())").pluck() : null;

  /** The period holding the first price row at or after `from`, from its start; null unless before `before`. */
  const periodFrom = (period: CompactionPeriod, from: number, before: number): CompactionCursor | null => {
    const first = firstPriceAtFrom.get(from) as number | null;
    if (first === null || first >= before) return null;
    return { period, periodStart: PERIODS[period].start(first), afterAt: Number.MIN_SAFE_INTEGER, afterId: 0 };
  };

  return {
    /**
     * The database file once the WAL is folded in: pages in use plus free pages (SQLite reuses a
     * freed page before it grows the file, so retention bounds the file without a VACUUM). On
     * PostgreSQL, the database's size on disk.
     */
    storeSize(): { bytes: number; freeBytes: number } {
      // PostgreSQL keeps no free-page count: the space a VACUUM frees is reused inside its files.
      if (databaseSize) return { bytes: databaseSize.get() as number, freeBytes: 0 };
      sqlite.pragma("wal_checkpoint(TRUNCATE)");
      const pages = sqlite.pragma("page_count", { simple: true }) as number;
      const free = sqlite.pragma("freelist_count", { simple: true }) as number;
      return { bytes: pages * pageSize, freeBytes: free * pageSize };
    },
    /** Message logs written before the cutoff by runs that are over. */
    messageLogsChunk: (cutoff: number, limit: number): number => messageLogsChunk.run(cutoff, limit).changes,
    /** Supplier call logs started before the cutoff by runs that are over. */
    callsChunk: (cutoff: number, limit: number): number => callsChunk.run(new Date(cutoff).toISOString(), limit).changes,
    /** Inbox rows of messages applied, rejected or skipped before the cutoff. */
    settledInboxChunk: (cutoff: number, limit: number): number => settledInboxChunk.run(cutoff, limit).changes,
    /** Wrong mall passwords recorded before the cutoff (the lockout reads only its own window). */
    loginFailuresChunk: (cutoff: number, limit: number): number => loginFailuresChunk.run(cutoff, limit).changes,
    /** Summaries of finished runs started before the cutoff. */
    runsChunk: (cutoff: number, limit: number): number => runsChunk.run(cutoff, limit).changes,

    /**
     * Where compaction of this period goes on: after the last period it finished, from the oldest
     * row otherwise. Null when no row from there is older than `before` (a period boundary).
     */
    compactionStart(period: CompactionPeriod, before: number): CompactionCursor | null {
      const done = metaGet.get(PERIODS[period].doneKey) as string | undefined;
      return periodFrom(period, done === undefined ? -Number.MAX_SAFE_INTEGER : Number(done), before);
    },

    /**
     * Compacts up to `limit` rows of the cursor's period in one transaction: a row that is the
     * last of its sku in the period takes the period's lowest and highest price, and the period's
     * other rows of that sku go. Answers the next cursor (the next period with rows once this one
     * is through, null when that is not before `before`) and the rows removed.
     */
    compactChunk(cursor: CompactionCursor, before: number, limit: number): { next: CompactionCursor | null; removed: number } {
      const p = PERIODS[cursor.period];
      const start = cursor.periodStart;
      const end = p.end(start);
      return sqlite
        .transaction(() => {
          const rows = periodRows.all({ start, end, afterAt: cursor.afterAt, afterId: cursor.afterId, limit }) as Array<{
            id: number;
            supplierId: number;
            sku: string;
            at: number;
            superseded: number;
          }>;
          let removed = 0;
          for (const row of rows) {
            if (row.superseded) continue;
            const range = periodRange.get(row.supplierId, row.sku, start, end) as { n: number; lo: number; hi: number };
            if (range.n < 2) continue;
            keepLast.run(range.lo, range.hi, row.id);
            removed += dropRest.run(row.supplierId, row.sku, start, end, row.id).changes;
          }
          const last = rows.at(-1);
          if (last && rows.length === limit) return { next: { ...cursor, afterAt: last.at, afterId: last.id }, removed };
          metaSet.run(p.doneKey, String(end));
          return { next: periodFrom(cursor.period, end, before), removed };
        })
        .immediate();
    },
  };
}
