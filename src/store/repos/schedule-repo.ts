import { statementFor } from "../sql/placeholders.js";
import type { SqlStore } from "../sql/sql-store.js";

/**
 * How long claimed ticks are remembered. A tick older than this is never claimed: once its row is
 * pruned it could not be told from one never run.
 */
export const TICK_MEMORY_MS = 24 * 60 * 60 * 1_000;
/** Tick rows removed per statement, so a prune never holds the write lock long. */
const PRUNE_CHUNK_ROWS = 2_000;

/**
 * Which instance runs a scheduled job's tick. Every instance's cron fires every tick; the first to
 * insert (job, tick) runs it and the others find the row and stand down. One statement: a conflict
 * inserts nothing, so "claimed" is "a row was inserted".
 */
export type ScheduleRepo = ReturnType<typeof createScheduleRepo>;

export function createScheduleRepo(sql: SqlStore) {
  const statement = statementFor(sql.dialect);
  const insert = statement(
    (p) =>
      `INSERT INTO scheduler_ticks (job, tick_start, instance, claimed_at) VALUES (${p()}, ${p()}, ${p()}, ${p()}) ON CONFLICT (job, tick_start) DO NOTHING`,
  );
  const pruneChunk = statement(
    (p) => `DELETE FROM scheduler_ticks WHERE (job, tick_start) IN (SELECT job, tick_start FROM scheduler_ticks WHERE tick_start < ${p()} LIMIT ${p()})`,
  );
  return {
    /** True for exactly one caller per (job, tickStart), across every instance on the database. */
    async claimTick(job: string, tickStart: number, instance: string, now: number): Promise<boolean> {
      if (tickStart <= now - TICK_MEMORY_MS) return false;
      return (await sql.run(insert, [job, tickStart, instance, now])) === 1;
    },
    /** Removes at most one chunk of ticks that started before `cutoff`; the count removed (less than a chunk: done). */
    pruneChunkBefore(cutoff: number): Promise<number> {
      return sql.run(pruneChunk, [cutoff, PRUNE_CHUNK_ROWS]);
    },
  };
}
