import { syncCalls } from "../schema/index.js";
import { statementFor } from "../sql/placeholders.js";
import type { SqlRunner, SqlStore } from "../sql/sql-store.js";
import { bulkInsert, rowInsert } from "./bulk-rows.js";
import { selectColumns } from "./row-sql.js";

export type CallRow = typeof syncCalls.$inferSelect;

/** The sync log's calls: every supplier call a run made, numbered within the run. */
export type CallLogRepo = ReturnType<typeof createCallLogRepo>;

/** The columns a call row is written with (the seed writes them too). */
export const CALL_KEYS = [
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

export function createCallLogRepo(sql: SqlStore) {
  const statement = statementFor(sql.dialect);
  // A call already logged (a chunk's commit run again) is kept as it is.
  const bulk = bulkInsert(syncCalls, CALL_KEYS, "ON CONFLICT (run_id, seq) DO NOTHING");
  const single = rowInsert(syncCalls, CALL_KEYS, "ON CONFLICT (run_id, seq) DO NOTHING");
  const ofRun = statement((p) => `SELECT ${selectColumns(syncCalls)} FROM sync_calls WHERE run_id = ${p()} ORDER BY seq`);
  const seqsOfRun =
    sql.dialect === "postgres"
      ? `SELECT ${selectColumns(syncCalls)} FROM sync_calls WHERE run_id = $1 AND seq = ANY(ARRAY(SELECT unnest($2::int[]))) ORDER BY seq`
      : `SELECT ${selectColumns(syncCalls)} FROM sync_calls WHERE run_id = ? AND seq IN (SELECT value FROM json_each(?)) ORDER BY seq`;

  /** In `tx` when given (a chunk's commit), else in a transaction of their own. */
  async function logCalls(rows: readonly CallRow[], tx?: SqlRunner): Promise<void> {
    if (rows.length === 0) return;
    if (sql.dialect === "postgres") {
      await (tx ?? sql).run(bulk.sql, [bulk.json(rows)]);
      return;
    }
    const write = async (db: SqlRunner) => {
      for (const row of rows) await db.run(single.sql, single.values(row));
    };
    await (tx ? write(tx) : sql.transaction(write));
  }

  return {
    logCalls,
    callsOf: (runId: string, seqs?: readonly number[]): Promise<CallRow[]> =>
      seqs === undefined
        ? sql.all<CallRow>(ofRun, [runId])
        : sql.all<CallRow>(seqsOfRun, [runId, sql.dialect === "postgres" ? [...seqs] : JSON.stringify(seqs)]),
  };
}
