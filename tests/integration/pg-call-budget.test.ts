import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { type CallLimits, createCallBudget } from "../../src/store/pg-coordination/call-budget.js";
import { claimSlot } from "../../src/store/pg-coordination/call-slots.js";
import { jitterMs, useInstancesOnOneCluster } from "../helpers/pg-instances.js";

/** One supplier's call limits shared by several instances (one pg.Pool each) on one throwaway PostgreSQL cluster. */
const { dbOf, count } = useInstancesOnOneCluster(3);
const instances = Array.from({ length: count }, (_, i) => i);

/** A stand-in supplier that counts the calls in flight at once, across all instances, and when each began. */
function countingSupplier() {
  let inFlight = 0;
  const seen = { maxInFlight: 0, startedAt: [] as number[] };
  const call = async (durationMs: number) => {
    inFlight++;
    seen.maxInFlight = Math.max(seen.maxInFlight, inFlight);
    seen.startedAt.push(performance.now());
    await sleep(durationMs);
    inFlight--;
  };
  return { call, seen };
}

/** The most calls that began within any window of windowMs. */
function busiestWindow(startedAt: readonly number[], windowMs: number): number {
  const t = [...startedAt].sort((a, b) => a - b);
  let most = 0;
  for (let first = 0, last = 0; last < t.length; last++) {
    while ((t[last] ?? 0) - (t[first] ?? 0) >= windowMs) first++;
    most = Math.max(most, last - first + 1);
  }
  return most;
}

describe("a supplier's call budget shared by instances on one PostgreSQL", () => {
  it("keeps N instances × M callers within maxConcurrent at once and QPS per second, all together", async () => {
    const SUPPLIER = 1;
    const limits: CallLimits = { maxConcurrent: 3, qps: 25, burst: 2 };
    const CALLERS_PER_INSTANCE = 8;
    const DURATION_MS = 2_500;
    const supplier = countingSupplier();
    const budgets = instances.map((_, i) => createCallBudget(dbOf(i), { instance: `inst-${i}` }));
    const end = performance.now() + DURATION_MS;
    const began = performance.now();

    const caller = async (i: number) => {
      const budget = budgets[i];
      if (!budget) return;
      while (performance.now() < end) {
        const result = await budget.withCall(SUPPLIER, limits, () => supplier.call(jitterMs(20, 120)));
        expect(result.ok).toBe(true);
      }
    };
    await Promise.all(budgets.flatMap((_, i) => Array.from({ length: CALLERS_PER_INSTANCE }, () => caller(i))));
    const elapsedMs = performance.now() - began;

    expect(supplier.seen.maxInFlight).toBeLessThanOrEqual(limits.maxConcurrent);
    // The callers were many enough to fill every slot: the limit was reached, not merely unapproached.
    expect(supplier.seen.maxInFlight).toBe(limits.maxConcurrent);
    // A full bucket lets `burst` calls through at once; one more for a call that waited a little past its booked time.
    expect(busiestWindow(supplier.seen.startedAt, 1_000)).toBeLessThanOrEqual(limits.qps + (limits.burst ?? 1) + 1);
    expect(supplier.seen.startedAt.length).toBeLessThanOrEqual(Math.ceil((elapsedMs / 1_000) * limits.qps) + (limits.burst ?? 1));
    // …and the budget was used, not starved (with room for a loaded machine).
    expect(supplier.seen.startedAt.length).toBeGreaterThan((DURATION_MS / 1_000) * limits.qps * 0.4);
  }, 30_000);

  it("spaces calls 1/qps apart across instances when the bucket holds one token", async () => {
    const SUPPLIER = 2;
    const limits: CallLimits = { maxConcurrent: 10, qps: 20, burst: 1 };
    const supplier = countingSupplier();
    const budgets = instances.map((_, i) => createCallBudget(dbOf(i), { instance: `inst-${i}` }));
    // 30 calls at once from three instances: at 20 a second they take about 1.5 s, whatever the concurrency allows.
    const began = performance.now();
    await Promise.all(Array.from({ length: 30 }, (_, n) => budgets[n % budgets.length]?.withCall(SUPPLIER, limits, () => supplier.call(5))));
    expect(performance.now() - began).toBeGreaterThanOrEqual(((30 - 1) * 1_000) / limits.qps - 50);
    expect(busiestWindow(supplier.seen.startedAt, 500)).toBeLessThanOrEqual(limits.qps / 2 + 1 + 1);
  }, 30_000);

  it("keeps a slot for a call that outlasts the slot lease, by renewing it", async () => {
    const SUPPLIER = 3;
    const limits: CallLimits = { maxConcurrent: 1, qps: 100 };
    const supplier = countingSupplier();
    const budgets = instances.map((_, i) => createCallBudget(dbOf(i), { instance: `inst-${i}`, slotLeaseMs: 300 }));
    await Promise.all([
      budgets[0]?.withCall(SUPPLIER, limits, () => supplier.call(1_000)),
      sleep(100).then(() => budgets[1]?.withCall(SUPPLIER, limits, () => supplier.call(10))),
      sleep(200).then(() => budgets[2]?.withCall(SUPPLIER, limits, () => supplier.call(10))),
    ]);
    expect(supplier.seen.maxInFlight).toBe(1);
    const [first, second] = supplier.seen.startedAt;
    expect((second ?? 0) - (first ?? 0)).toBeGreaterThanOrEqual(990);
  });

  it("gives back a killed instance's slots when their lease ends", async () => {
    const SUPPLIER = 4;
    const limits: CallLimits = { maxConcurrent: 2, qps: 100 };
    const budget = createCallBudget(dbOf(1), { instance: "inst-1" });
    // Warm: the slot rows exist. Then instance 0 takes both and dies: no renewals, no release.
    await budget.withCall(SUPPLIER, limits, async () => undefined);
    const LEASE_MS = 400;
    const claimedFrom = performance.now();
    const held = await Promise.all([0, 1].map(() => claimSlot(dbOf(0), SUPPLIER, limits.maxConcurrent, "inst-0", LEASE_MS)));
    expect(held.every((s) => s !== null)).toBe(true);

    const supplier = countingSupplier();
    await Promise.all([0, 1].map(() => budget.withCall(SUPPLIER, limits, () => supplier.call(5))));
    const waitedMs = Math.min(...supplier.seen.startedAt) - claimedFrom;
    expect(waitedMs).toBeGreaterThanOrEqual(LEASE_MS - 20);
    expect(waitedMs).toBeLessThan(LEASE_MS + 2_000);

    const impatient = createCallBudget(dbOf(2), { instance: "inst-2", maxWaitMs: 200 });
    await Promise.all([0, 1].map(() => claimSlot(dbOf(0), SUPPLIER, limits.maxConcurrent, "inst-0", 10_000)));
    expect(await impatient.withCall(SUPPLIER, limits, async () => "called")).toMatchObject({ ok: false, refusal: { code: "call_budget_wait_exceeded" } });
  });
});
