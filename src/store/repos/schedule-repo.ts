import type { Store } from "../database.js";

/**
 * How long claimed ticks are remembered. A tick older than this is never claimed: once its row is
 * pruned it could not be told from one never run.
 */
export const TICK_MEMORY_MS = 24 * 60 * 60 * 1_000;
/** Tick rows removed per statement, so a prune never holds the write lock long. */
const PRUNE_CHUNK_ROWS = 2_000;

/**
 * Which instance runs a scheduled job's tick. Every instance's cron fires every tick; the first to
 * insert (job, tick) runs it and the others find the row and stand down. One statement, valid on
 * SQLite and PostgreSQL alike: a conflict inserts nothing, so "claimed" is "a row was inserted".
 */
export type ScheduleRepo = ReturnType<typeof createScheduleRepo>;

export function createScheduleRepo(store: Store) {
  const insert = store.sqlite.prepare(
    "INSERT INTO scheduler_ticks (job, tick_start, instance, claimed_at) VALUES (?, ?, ?, ?) ON CONFLICT (job, tick_start) DO NOTHING",
  );
  const pruneChunk = store.sqlite.prepare(
    "DELETE FROM scheduler_ticks WHERE (job, tick_start) IN (SELECT job, tick_start FROM scheduler_ticks WHERE tick_start < ? LIMIT ?)",
  );
  return {
    /** True for exactly one caller per (job, tickStart), across every instance on the database. */
    claimTick(job: string, tickStart: number, instance: string, now: number): boolean {
      if (tickStart <= now - TICK_MEMORY_MS) return false;
      return insert.run(job, tickStart, instance, now).changes === 1;
    },
    /** Removes at most one chunk of ticks that started before `cutoff`; the count removed (less than a chunk: done). */
    pruneChunkBefore(cutoff: number): number {
      return pruneChunk.run(cutoff, PRUNE_CHUNK_ROWS).changes;
    },
  };
}
