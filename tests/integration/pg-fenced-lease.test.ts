import { setTimeout as sleep } from "node:timers/promises";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { acquireLease, releaseLease, renewLease, withFencedWrite } from "../../src/store/pg-coordination/fenced-lease.js";
import type { PgDb } from "../../src/store/pg-database.js";
import { jitterMs, useInstancesOnOneCluster } from "../helpers/pg-instances.js";

/** The fenced pull lease with several instances (one pg.Pool each) on one throwaway PostgreSQL cluster. */
const { dbOf, count } = useInstancesOnOneCluster(4);
const instances = Array.from({ length: count }, (_, i) => i);

async function metaValue(key: string): Promise<string | undefined> {
  const { rows } = await dbOf(0).execute<{ value: string }>(sql`SELECT value FROM store_meta WHERE key = ${key}`);
  return rows[0]?.value;
}
const writeMeta = (key: string, value: string) => (tx: Parameters<Parameters<PgDb["transaction"]>[0]>[0]) =>
  tx.execute(sql`INSERT INTO store_meta (key, value) VALUES (${key}, ${value}) ON CONFLICT (key) DO UPDATE SET value = excluded.value`).then(() => value);

describe("a fenced lease shared by instances on one PostgreSQL", () => {
  it("goes to exactly one of the instances racing for it, new or released, with a token that only grows", async () => {
    const ROUNDS = 20;
    const race = (supplierId: number, round: number) =>
      Promise.all(instances.flatMap((_, i) => [0, 1].map((k) => acquireLease(dbOf(i), supplierId, `inst-${i}-${k}`, `run_${round}`, 60_000))));
    for (let round = 0; round < ROUNDS; round++) {
      const supplierId = 1_000 + round;
      // First the race to insert the supplier's lease row, then, once its winner let go, to take it over.
      const first = (await race(supplierId, round)).filter((r) => r !== null);
      expect(first, `round ${round}, free`).toHaveLength(1);
      const [winner] = first;
      if (!winner) return;
      expect(await releaseLease(dbOf(0), winner)).toBe(true);
      const second = (await race(supplierId, round)).filter((r) => r !== null);
      expect(second, `round ${round}, released`).toHaveLength(1);
      expect(second[0]?.fencingToken).toBe(winner.fencingToken + 1);
    }
  });

  it("refuses a write from a holder whose lease expired and was taken over, and writes nothing", async () => {
    const a = await acquireLease(dbOf(0), 1, "inst-a", "run_a", 400);
    expect(a).not.toBeNull();
    if (!a) return;
    expect(await acquireLease(dbOf(1), 1, "inst-b", "run_b", 5_000)).toBeNull();
    expect(await withFencedWrite(dbOf(0), a, writeMeta("fenced-1", "a-early"))).toEqual({ ok: true, value: "a-early" });

    await sleep(500);
    const b = await acquireLease(dbOf(1), 1, "inst-b", "run_b", 5_000);
    expect(b?.fencingToken).toBe(a.fencingToken + 1);
    if (!b) return;

    const late = await withFencedWrite(dbOf(0), a, writeMeta("fenced-1", "a-late"));
    expect(late).toMatchObject({ ok: false, refusal: { code: "lease_lost" } });
    expect(await metaValue("fenced-1")).toBe("a-early");
    expect(await renewLease(dbOf(0), a, 5_000)).toBeNull();
    expect(await releaseLease(dbOf(0), a)).toBe(false);

    expect(await withFencedWrite(dbOf(1), b, writeMeta("fenced-1", "b"))).toEqual({ ok: true, value: "b" });
    expect(await metaValue("fenced-1")).toBe("b");
  });

  it("refuses a write once the lease expired by the database's clock even if no one took it, and rolls the write back", async () => {
    const a = await acquireLease(dbOf(2), 2, "inst-a", null, 100);
    if (!a) throw new Error("lease not acquired");
    await sleep(200);
    const late = await withFencedWrite(dbOf(2), a, writeMeta("fenced-2", "late"));
    expect(late).toMatchObject({ ok: false, refusal: { code: "lease_expired" } });
    expect(await metaValue("fenced-2")).toBeUndefined();
    expect(await renewLease(dbOf(2), a, 5_000)).toBeNull();

    const again = await acquireLease(dbOf(2), 2, "inst-a", null, 5_000);
    expect(again?.fencingToken).toBe(a.fencingToken + 1);
  });

  it("is kept by renewing, against other instances trying all along, and is free at once when released", async () => {
    let lease = await acquireLease(dbOf(0), 3, "inst-a", null, 500);
    for (let i = 0; i < 8; i++) {
      await sleep(100);
      if (!lease) throw new Error(`lease lost at renewal ${i}`);
      const others = await Promise.all([1, 2, 3].map((k) => acquireLease(dbOf(k), 3, `inst-${k}`, null, 500)));
      expect(others.every((o) => o === null)).toBe(true);
      lease = await renewLease(dbOf(0), lease, 500);
    }
    if (!lease) throw new Error("lease lost");
    // Eight renewals of a 500 ms lease took at least 800 ms: without them it would have been lost.
    expect(await withFencedWrite(dbOf(0), lease, writeMeta("fenced-3", "kept"))).toEqual({ ok: true, value: "kept" });

    expect(await releaseLease(dbOf(0), lease)).toBe(true);
    const next = await acquireLease(dbOf(1), 3, "inst-1", null, 500);
    expect(next?.fencingToken).toBe(lease.fencingToken + 1);
  });

  it("never lands an older token's write after a newer one's, with instances stalling past their leases", async () => {
    const SUPPLIER = 4;
    const LEASE_MS = 50;
    const DURATION_MS = 2_000;
    await dbOf(0).execute(sql`INSERT INTO store_meta (key, value) VALUES ('fence-hw', '0')`);
    const tally = { landed: 0, lost: 0, expired: 0, outOfOrder: 0 };
    const end = Date.now() + DURATION_MS;

    const runInstance = async (i: number) => {
      while (Date.now() < end) {
        const lease = await acquireLease(dbOf(i), SUPPLIER, `inst-${i}`, null, LEASE_MS);
        if (!lease) {
          await sleep(jitterMs(1, 10));
          continue;
        }
        for (let chunk = 0; chunk < 4; chunk++) {
          // A stall between chunks, and another inside a chunk's transaction, sometimes outlasts the lease.
          if (chunk > 0) await sleep(jitterMs(0, 40));
          const result = await withFencedWrite(dbOf(i), lease, async (tx) => {
            await sleep(jitterMs(0, 80));
            const { rows } = await tx.execute<{ value: string }>(sql`SELECT value FROM store_meta WHERE key = 'fence-hw' FOR UPDATE`);
            if (Number(rows[0]?.value) > lease.fencingToken) tally.outOfOrder++;
            await tx.execute(sql`UPDATE store_meta SET value = ${String(lease.fencingToken)} WHERE key = 'fence-hw'`);
          });
          if (result.ok) tally.landed++;
          else {
            tally[result.refusal.code === "lease_lost" ? "lost" : "expired"]++;
            break;
          }
        }
      }
    };
    await Promise.all(instances.map((_, i) => runInstance(i)));

    expect(tally.outOfOrder).toBe(0);
    expect(tally.landed).toBeGreaterThan(5);
    // Stale holders did try to write, and were refused: the fence was exercised, not just idle.
    expect(tally.lost + tally.expired).toBeGreaterThan(0);
  }, 30_000);
});
