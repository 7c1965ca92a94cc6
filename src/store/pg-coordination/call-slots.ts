import { randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import type { PgDb } from "../pg-database.js";
import { dbNowMs } from "./db-clock.js";

/**
 * A supplier's maxConcurrent shared by every instance: slot rows 0…maxConcurrent-1, each free or
 * held under a short lease. A claim takes a free or expired slot the others are not claiming right
 * now (FOR UPDATE SKIP LOCKED, so claimers never queue behind each other); the holder renews while
 * its call runs. A killed instance stops renewing, and its slots come back when their leases end.
 */
export type CallSlot = { readonly supplierId: number; readonly slot: number; readonly claim: string };

/** Creates the supplier's slot rows up to maxConcurrent; slots beyond a lowered maxConcurrent are simply never claimed. */
export async function ensureSlots(db: PgDb, supplierId: number, maxConcurrent: number): Promise<void> {
  await db.execute(sql`
    INSERT INTO supplier_call_slots (supplier_id, slot)
    SELECT ${supplierId}, s FROM generate_series(0, ${maxConcurrent - 1}::int) AS s
    ON CONFLICT (supplier_id, slot) DO NOTHING`);
}

/** A free slot, now held by `instance` for leaseMs; null when all are held. */
export async function claimSlot(db: PgDb, supplierId: number, maxConcurrent: number, instance: string, leaseMs: number): Promise<CallSlot | null> {
  const claim = `${instance}:${randomUUID()}`;
  const { rows } = await db.execute<{ slot: number }>(sql`
    UPDATE supplier_call_slots AS s SET holder = ${claim}, lease_until = ${dbNowMs} + ${leaseMs}
    FROM (
      SELECT slot FROM supplier_call_slots
      WHERE supplier_id = ${supplierId} AND slot < ${maxConcurrent} AND (holder IS NULL OR lease_until <= ${dbNowMs})
      ORDER BY slot LIMIT 1
      FOR UPDATE SKIP LOCKED
    ) AS free
    WHERE s.supplier_id = ${supplierId} AND s.slot = free.slot
    RETURNING s.slot`);
  const row = rows[0];
  return row ? { supplierId, slot: row.slot, claim } : null;
}

/** Extends the slot's lease; false when it had expired and was claimed by another call. */
export async function renewSlot(db: PgDb, slot: CallSlot, leaseMs: number): Promise<boolean> {
  const { rowCount } = await db.execute(sql`
    UPDATE supplier_call_slots SET lease_until = ${dbNowMs} + ${leaseMs}
    WHERE supplier_id = ${slot.supplierId} AND slot = ${slot.slot} AND holder = ${slot.claim}`);
  return rowCount === 1;
}

export async function releaseSlot(db: PgDb, slot: CallSlot): Promise<void> {
  await db.execute(sql`
    UPDATE supplier_call_slots SET holder = NULL, lease_until = 0
    WHERE supplier_id = ${slot.supplierId} AND slot = ${slot.slot} AND holder = ${slot.claim}`);
}
