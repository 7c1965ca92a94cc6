import { sql } from "drizzle-orm";
import type { PgDb } from "../pg-database.js";
import { dbNowMs } from "./db-clock.js";

/**
 * A supplier's QPS budget shared by every instance: a token bucket row refilled at `qps` tokens a
 * second up to `burst`, kept in thousandths of a token so any qps refills in whole numbers per
 * millisecond. Each call takes a token with one UPDATE; when the bucket is empty the count goes
 * negative (the call is booked after those already waiting) and the caller waits the time returned.
 * Booking instead of retrying keeps callers in order and costs one statement per call.
 */
const MILLI = 1_000;

/** Takes one token; answers how long to wait (ms) before making the call. */
export async function takeCallToken(db: PgDb, supplierId: number, qps: number, burst: number): Promise<number> {
  if (!(qps > 0) || !(burst >= 1)) throw new RangeError(`supplier ${supplierId}: qps must be > 0 and burst >= 1 (got ${qps}, ${burst})`);
  const take = () =>
    db.execute<{ tokens_milli: number }>(sql`
      UPDATE supplier_call_buckets SET
        tokens_milli = LEAST(${burst * MILLI}::bigint, tokens_milli + GREATEST(0, ${dbNowMs} - refilled_at) * ${qps}::bigint) - ${MILLI},
        refilled_at = GREATEST(refilled_at, ${dbNowMs})
      WHERE supplier_id = ${supplierId}
      RETURNING tokens_milli`);
  let { rows } = await take();
  if (rows.length === 0) {
    // The supplier's first call anywhere: a full bucket, then take from it like everyone else.
    await db.execute(sql`
      INSERT INTO supplier_call_buckets (supplier_id, tokens_milli, refilled_at) VALUES (${supplierId}, ${burst * MILLI}, ${dbNowMs})
      ON CONFLICT (supplier_id) DO NOTHING`);
    ({ rows } = await take());
  }
  const tokensMilli = rows[0]?.tokens_milli ?? 0;
  // qps tokens a second is qps thousandths of a token a millisecond.
  return tokensMilli >= 0 ? 0 : Math.ceil(-tokensMilli / qps);
}
