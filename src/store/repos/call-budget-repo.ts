import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import type { Store } from "../database.js";

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
export function createCallBudgetRepo(store: Store, instance = `${hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`) {
  const d = store.dialect;
  const now = NOW_MS[d];
  const insertSlot = store.sqlite.prepare("INSERT INTO supplier_call_slots (supplier_id, slot) VALUES (?, ?) ON CONFLICT (supplier_id, slot) DO NOTHING");
  const claim = store.sqlite.prepare(
    `UPDATE supplier_call_slots SET holder = @holder, lease_until = ${now} + @leaseMs ` +
      "WHERE supplier_id = @supplierId AND slot = (" +
      "SELECT slot FROM supplier_call_slots " +
      `WHERE supplier_id = @supplierId AND slot < @maxConcurrent AND (holder IS NULL OR lease_until <= ${now}) ` +
      `ORDER BY slot LIMIT 1${SKIP_LOCKED[d]}) ` +
      "RETURNING slot",
  );
  const renew = store.sqlite.prepare(
    `UPDATE supplier_call_slots SET lease_until = ${now} + @leaseMs WHERE supplier_id = @supplierId AND slot = @slot AND holder = @holder`,
  );
  const release = store.sqlite.prepare(
    "UPDATE supplier_call_slots SET holder = NULL, lease_until = 0 WHERE supplier_id = @supplierId AND slot = @slot AND holder = @holder",
  );
  const releaseAll = store.sqlite.prepare("UPDATE supplier_call_slots SET holder = NULL, lease_until = 0 WHERE substr(holder, 1, length(@prefix)) = @prefix");
  const take = store.sqlite.prepare(
    "UPDATE supplier_call_buckets SET " +
      `tokens_milli = CAST(${LEAST[d]}(@capMilli, tokens_milli + ${GREATEST[d]}(0, ${now} - refilled_at) * CAST(@rate AS DOUBLE PRECISION)) AS INTEGER) - @takeMilli, ` +
      `refilled_at = ${GREATEST[d]}(refilled_at, ${now}) ` +
      "WHERE supplier_id = @supplierId RETURNING tokens_milli AS tokens",
  );
  const insertBucket = store.sqlite.prepare(
    `INSERT INTO supplier_call_buckets (supplier_id, tokens_milli, refilled_at) VALUES (@supplierId, @capMilli, ${now}) ON CONFLICT (supplier_id) DO NOTHING`,
  );
  /** Slot rows known to exist, per supplier: created once per process, or again when maxConcurrent grows. */
  const slotsMade = new Map<number, number>();
  let claims = 0;

  const ensureSlots = (supplierId: number, maxConcurrent: number): void => {
    if ((slotsMade.get(supplierId) ?? 0) >= maxConcurrent) return;
    // Slots above a lowered maxConcurrent stay, never claimed (slot < maxConcurrent).
    for (let slot = 0; slot < maxConcurrent; slot++) insertSlot.run(supplierId, slot);
    slotsMade.set(supplierId, maxConcurrent);
  };

  return {
    /** A free slot of the supplier's first maxConcurrent, now held for leaseMs; null when all are held. */
    claimSlot(supplierId: number, maxConcurrent: number, leaseMs: number): HeldSlot | null {
      ensureSlots(supplierId, maxConcurrent);
      const holder = `${instance}:${++claims}`;
      const row = claim.get({ holder, leaseMs, supplierId, maxConcurrent }) as { slot: number } | undefined;
      return row ? { slot: row.slot, holder } : null;
    },
    /** Extends the slot's lease; false when it had run out and another call took the slot. */
    renewSlot(supplierId: number, held: HeldSlot, leaseMs: number): boolean {
      return renew.run({ supplierId, slot: held.slot, holder: held.holder, leaseMs }).changes === 1;
    },
    releaseSlot(supplierId: number, held: HeldSlot): void {
      release.run({ supplierId, slot: held.slot, holder: held.holder });
    },
    /**
     * A stopping instance: every slot its calls still hold (one outlasting the grace included) goes
     * back now, not when its lease runs out. Answers how many.
     */
    releaseAllSlots(): number {
      return releaseAll.run({ prefix: `${instance}:` }).changes;
    },
    /**
     * Takes `count` tokens from the supplier's bucket, refilled at callsPerSecond up to `burst`
     * tokens: `count` calls spaced 1/callsPerSecond apart. Answers the ms to wait before the first
     * (0: at once); the last is due when the bucket, gone negative, has refilled to zero.
     */
    bookCalls(supplierId: number, callsPerSecond: number, burst: number, count: number): number {
      if (!(callsPerSecond > 0) || !(burst >= 1) || !(Number.isInteger(count) && count >= 1)) {
        throw new RangeError(
          `supplier ${supplierId}: calls a second must be > 0, burst >= 1 and count a whole number >= 1 (got ${callsPerSecond}, ${burst}, ${count})`,
        );
      }
      const params = { supplierId, capMilli: Math.round(burst * MILLI), rate: callsPerSecond, takeMilli: count * MILLI };
      let row = take.get(params) as { tokens: number } | undefined;
      if (!row) {
        // The supplier's first call anywhere: a full bucket, then take from it like everyone else.
        insertBucket.run({ supplierId, capMilli: params.capMilli });
        row = take.get(params) as { tokens: number } | undefined;
      }
      const firstMilli = Number(row?.tokens ?? 0) + (count - 1) * MILLI;
      return firstMilli >= 0 ? 0 : Math.ceil(-firstMilli / callsPerSecond);
    },
    /** Slots held now, per supplier (held and unexpired): for tests and diagnostics. */
    heldSlots(supplierId: number): number {
      const held = store.sqlite
        .prepare(`SELECT COUNT(*) AS n FROM supplier_call_slots WHERE supplier_id = ? AND holder IS NOT NULL AND lease_until > ${now}`)
        .get(supplierId) as { n: number };
      return Number(held.n);
    },
  };
}
