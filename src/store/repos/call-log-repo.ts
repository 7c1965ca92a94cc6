import { and, asc, eq, inArray } from "drizzle-orm";
import type { Store } from "../database.js";
import { syncCalls } from "../schema/index.js";
import { bulkInsert } from "./bulk-rows.js";

export type CallRow = typeof syncCalls.$inferSelect;

/** The sync log's calls: every supplier call a run made, numbered within the run. */
export type CallLogRepo = ReturnType<typeof createCallLogRepo>;

export function createCallLogRepo(store: Store) {
  const { db, connection: sqlite } = store;
  const onPostgres = store.dialect === "postgres";
  const insertCall = sqlite.prepare(
    "INSERT INTO sync_calls (run_id, seq, operation, endpoint, attempt, started_at, duration_ms, outcome, error_code, http_status, batch_size, subject, message) " +
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (run_id, seq) DO NOTHING",
  );
  // PostgreSQL: the hot path's rows as one statement (bulk-rows.ts); SQLite: a prepared statement per row.
  const callKeys = [
    "runId",
    "seq",
    "operation",
    "endpoint",
    "attempt",
    "startedAt",
    "durationMs",
    "outcome",
    "errorCode",
    "httpStatus",
    "batchSize",
    "subject",
    "message",
  ] as const;
  const bulkCalls = bulkInsert(syncCalls, callKeys, "ON CONFLICT (run_id, seq) DO NOTHING");
  const insertCalls = onPostgres ? sqlite.prepare(bulkCalls.sql) : null;

  return {
    logCalls(rows: readonly CallRow[]): void {
      if (insertCalls) {
        if (rows.length > 0) insertCalls.run(bulkCalls.json(rows));
        return;
      }
      sqlite
        .transaction(() => {
          for (const r of rows) {
            insertCall.run(
              r.runId,
              r.seq,
              r.operation,
              r.endpoint,
              r.attempt,
              r.startedAt,
              r.durationMs,
              r.outcome,
              r.errorCode,
              r.httpStatus,
              r.batchSize,
              r.subject,
              r.message,
            );
          }
        })
        .immediate();
    },
    callsOf: (runId: string, seqs?: readonly number[]): CallRow[] =>
      db
        .select()
        .from(syncCalls)
        .where(seqs === undefined ? eq(syncCalls.runId, runId) : and(eq(syncCalls.runId, runId), inArray(syncCalls.seq, [...seqs])))
        .orderBy(asc(syncCalls.seq))
        .all(),
  };
}
