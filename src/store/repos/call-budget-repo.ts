import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { statementFor } from "../sql/placeholders.js";
import type { SqlStore } from "../sql/sql-store.js";

/** One of a supplier's call slots as held by one call of one instance. */
export type HeldSlot = { readonly slot: number; readonly holder: string };

/** A token in thousandths, so any rate refills in whole numbers a millisecond (qps thousandths of a token a ms). */
const MILLI = 1_000;

/**
 * The clock every instance agrees on: the database's, in epoch ms, read when the statement runs
 * (instances' own clocks drift apart; on PostgreSQL clock_timestamp(), not now(), which stands still
 * within a transaction). The statements are otherwise the same on both databases.
 */
const NOW_MS = {
  postgres: "CAST(extract(epoch from clock_timestamp()) * 1000 AS BIGINT)",
  sqlite: "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)",
} as const;
/** SQLite's two-argument min/max are PostgreSQL's LEAST/GREATEST. */
const LEAST = { postgres: "LEAST", sqlite: "min" } as const;
const GREATEST = { postgres: "GREATEST", sqlite: "max" } as const;
/**
 * PostgreSQL claimers skip a slot another claimer is taking instead of queueing behind its row lock;
 * SQLite has one writer, so a claim never meets another.
 */
const SKIP_LOCKED = { postgres: " FOR UPDATE SKIP LOCKED", sqlite: "" } as const;

/**
 * A supplier's maxConcurrent and QPS shared by every gateway instance on the database.
 * Slots: rows 0…maxConcurrent-1 per supplier, each free or held under a short lease, so a killed
 * instance's slots come back when their leases end. QPS: a token bucket row per supplier; a call
 * takes a token with one UPDATE, and when the bucket is empty the count goes negative (the call is
 * booked behind those already waiting) and the caller waits the time answered. Booking instead of
 * retrying keeps callers in order and costs one statement a call.
 */
export type CallBudgetRepo = ReturnType<typeof createCallBudgetRepo>;

/** Names the holder of each slot: the host, the process, and one store of it (a process may open two). */
export function createCallBudgetRepo(sql: SqlStore, instance = `${hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`) {
  const d = sql.dialect;
  const now = NOW_MS[d];
  const statement = statementFor(d);
  const insertSlot = statement((p) => `INSERT INTO supplier_call_slots (supplier_id, slot) VALUES (${p()}, ${p()}) ON CONFLICT (supplier_id, slot) DO NOTHING`);
  // Values: holder, leaseMs, supplierId, supplierId, maxConcurrent.
  const claim = statement(
    (p) =>
      `UPDATE supplier_call_slots SET holder = ${p()}, lease_until = ${now} + ${p()} ` +
      `WHERE supplier_id = ${p()} AND slot = (` +
      "SELECT slot FROM supplier_call_slots " +
      `WHERE supplier_id = ${p()} AND slot < ${p()} AND (holder IS NULL OR lease_until <= ${now}) ` +
      `ORDER BY slot LIMIT 1${SKIP_LOCKED[d]}) ` +
      "RETURNING slot",
  );
  // Values: leaseMs, supplierId, slot, holder.
  const renew = statement(
    (p) => `UPDATE supplier_call_slots SET lease_until = ${now} + ${p()} WHERE supplier_id = ${p()} AND slot = ${p()} AND holder = ${p()}`,
  );
  // Values: supplierId, slot, holder.
  const release = statement(
    (p) => `UPDATE supplier_call_slots SET holder = NULL, lease_until = 0 WHERE supplier_id = ${p()} AND slot = ${p()} AND holder = ${p()}`,
  );
  // Values: prefix, prefix.
  const releaseAll = statement((p) => `UPDATE supplier_call_slots SET holder = NULL, lease_until = 0 WHERE substr(holder, 1, length(${p()})) = ${p()}`);
  // Values: capMilli, rate, takeMilli, supplierId.
  const take = statement(
    (p) =>
      "UPDATE supplier_call_buckets SET " +
      `tokens_milli = CAST(${LEAST[d]}(${p()}, tokens_milli + ${GREATEST[d]}(0, ${now} - refilled_at) * CAST(${p()} AS DOUBLE PRECISION)) AS INTEGER) - ${p()}, ` +
      `refilled_at = ${GREATEST[d]}(refilled_at, ${now}) ` +
      `WHERE supplier_id = ${p()} RETURNING tokens_milli AS tokens`,
  );
  // Values: supplierId, capMilli.
  const insertBucket = statement(
    (p) => `INSERT INTO supplier_call_buckets (supplier_id, tokens_milli, refilled_at) VALUES (${p()}, ${p()}, ${now}) ON CONFLICT (supplier_id) DO NOTHING`,
  );
  const held = statement((p) => `SELECT COUNT(*) AS n FROM supplier_call_slots WHERE supplier_id = ${p()} AND holder IS NOT NULL AND lease_until > ${now}`);
  /** Slot rows known to exist, per supplier: created once per process, or again when maxConcurrent grows. */
  const slotsMade = new Map<number, number>();
  let claims = 0;

  const ensureSlots = async (supplierId: number, maxConcurrent: number): Promise<void> => {
    if ((slotsMade.get(supplierId) ?? 0) >= maxConcurrent) return;
    // Slots above a lowered maxConcurrent stay, never claimed (slot < maxConcurrent).
    for (let slot = 0; slot < maxConcurrent; slot++) await sql.run(insertSlot, [supplierId, slot]);
    slotsMade.set(supplierId, maxConcurrent);
  };

  return {
    /** A free slot of the supplier's first maxConcurrent, now held for leaseMs; null when all are held. */
    async claimSlot(supplierId: number, maxConcurrent: number, leaseMs: number): Promise<HeldSlot | null> {
      await ensureSlots(supplierId, maxConcurrent);
      const holder = `${instance}:${++claims}`;
      const row = await sql.get<{ slot: number }>(claim, [holder, leaseMs, supplierId, supplierId, maxConcurrent]);
      return row ? { slot: row.slot, holder } : null;
    },
    /** Extends the slot's lease; false when it had run out and another call took the slot. */
    async renewSlot(supplierId: number, held: HeldSlot, leaseMs: number): Promise<boolean> {
      return (await sql.run(renew, [leaseMs, supplierId, held.slot, held.holder])) === 1;
    },
    async releaseSlot(supplierId: number, held: HeldSlot): Promise<void> {
      await sql.run(release, [supplierId, held.slot, held.holder]);
    },
    /**
     * A stopping instance: every slot its calls still hold (one outlasting the grace included) goes
     * back now, not when its lease runs out. Answers how many.
     */
    releaseAllSlots(): Promise<number> {
      const prefix = `${instance}:`;
      return sql.run(releaseAll, [prefix, prefix]);
    },
    /**
     * Takes `count` tokens from the supplier's bucket, refilled at callsPerSecond up to `burst`
     * tokens: `count` calls spaced 1/callsPerSecond apart. Answers the ms to wait before the first
     * (0: at once); the last is due when the bucket, gone negative, has refilled to zero.
     */
    async bookCalls(supplierId: number, callsPerSecond: number, burst: number, count: number): Promise<number> {
      if (!(callsPerSecond > 0) || !(burst >= 1) || !(Number.isInteger(count) && count >= 1)) {
        throw new RangeError(
          `supplier ${supplierId}: calls a second must be > 0, burst >= 1 and count a whole number >= 1 (got ${callsPerSecond}, ${burst}, ${count})`,
        );
      }
      const capMilli = Math.round(burst * MILLI);
      const takeValues = [capMilli, callsPerSecond, count * MILLI, supplierId];
      let row = await sql.get<{ tokens: number }>(take, takeValues);
      if (!row) {
        // The supplier's first call anywhere: a full bucket, then take from it like everyone else.
        await sql.run(insertBucket, [supplierId, capMilli]);
        row = await sql.get<{ tokens: number }>(take, takeValues);
      }
      const firstMilli = Number(row?.tokens ?? 0) + (count - 1) * MILLI;
      return firstMilli >= 0 ? 0 : Math.ceil(-firstMilli / callsPerSecond);
    },
    /** Slots held now, per supplier (held and unexpired): for tests and diagnostics. */
    async heldSlots(supplierId: number): Promise<number> {
      return Number((await sql.get<{ n: number }>(held, [supplierId]))?.n ?? 0);
    },
  };
}
