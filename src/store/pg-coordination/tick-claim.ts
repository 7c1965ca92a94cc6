import { sql } from "drizzle-orm";
import type { PgDb } from "../pg-database.js";
import { dbNowMs } from "./db-clock.js";

/**
 * node-cron runs in every instance; a job's tick runs only where this returns true. The first
 * instance to insert (job, tick) wins; the others find the row and stand down.
 */

/** How long claimed ticks are remembered. A tick older than this is never claimed: it could not be told from one never run. */
export const TICK_MEMORY_MS = 24 * 60 * 60 * 1_000;

/** True for exactly one instance per (job, tickStartMs); the winner also forgets this job's ticks older than TICK_MEMORY_MS. */
export async function claimTick(db: PgDb, job: string, tickStartMs: number, instance: string): Promise<boolean> {
  const { rows } = await db.execute<{ job: string }>(sql`
    INSERT INTO scheduler_ticks (job, tick_start, instance, claimed_at)
    SELECT ${job}, ${tickStartMs}, ${instance}, ${dbNowMs}
    WHERE ${tickStartMs}::bigint > ${dbNowMs} - ${TICK_MEMORY_MS}
    ON CONFLICT (job, tick_start) DO NOTHING
    RETURNING job`);
  if (rows.length === 0) return false;
  await db.execute(sql`DELETE FROM scheduler_ticks WHERE job = ${job} AND tick_start <= ${dbNowMs} - ${TICK_MEMORY_MS}`);
  return true;
}
