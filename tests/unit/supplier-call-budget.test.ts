import { describe, expect, it } from "vitest";
import { CallBudgetUnavailable, type SharedCallBudget, type SlotClaim, withinSharedBudget } from "../../src/supplier/call-budget.js";

/** An in-memory budget with `slots` slots and a fixed booking answer; records what was asked. */
function memoryBudget(slots: number, bookWaitMs = 0) {
  const held = new Set<number>();
  const asked = { claims: 0, releases: 0, bookings: [] as number[] };
  let serial = 0;
  const budget: SharedCallBudget = {
    claimSlot(maxConcurrent) {
      asked.claims++;
      for (let slot = 0; slot < Math.min(slots, maxConcurrent); slot++) {
        if (!held.has(slot)) {
          held.add(slot);
          return { slot, holder: `h${++serial}` };
        }
      }
      return null;
    },
    renewSlot: () => true,
    releaseSlot(claim: SlotClaim) {
      asked.releases++;
      held.delete(claim.slot);
    },
    bookCall(callsPerSecond) {
      asked.bookings.push(callsPerSecond);
      return bookWaitMs;
    },
  };
  return { budget, held, asked };
}

const never = () => null;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

describe("withinSharedBudget", () => {
  it("holds a call until a slot is free, books it a little under the limit, and gives the slot back", async () => {
    const { budget, held, asked } = memoryBudget(1);
    let inFlight = 0;
    let most = 0;
    const call = async () => {
      inFlight++;
      most = Math.max(most, inFlight);
      await sleep(30);
      inFlight--;
      return "answered";
    };
    const answers = await Promise.all([1, 2, 3].map(() => withinSharedBudget(budget, { maxConcurrent: 1, qps: 100 }, call, never)));
    expect(answers).toEqual(["answered", "answered", "answered"]);
    expect(most).toBe(1);
    expect(held.size).toBe(0);
    expect(asked.releases).toBe(3);
    expect(asked.claims).toBeGreaterThan(3);
    for (const rate of asked.bookings) expect(rate).toBeLessThan(100);
    for (const rate of asked.bookings) expect(rate).toBeGreaterThanOrEqual(95);
  });

  it("waits the booked time before the call", async () => {
    const { budget } = memoryBudget(1, 120);
    const began = performance.now();
    await withinSharedBudget(budget, { maxConcurrent: 1, qps: 5 }, async () => undefined, never);
    expect(performance.now() - began).toBeGreaterThanOrEqual(110);
  });

  it("gives up waiting for a slot, without calling, when the caller stops", async () => {
    const { budget } = memoryBudget(0);
    let stop: Error | null = null;
    let called = false;
    const waiting = withinSharedBudget(budget, { maxConcurrent: 1, qps: 10 }, async () => (called = true), () => stop);
    await sleep(30);
    stop = new Error("the client is closed");
    await expect(waiting).rejects.toThrow("the client is closed");
    expect(called).toBe(false);
  });

  it("answers a budget the database cannot give as CallBudgetUnavailable, not sent, and releases a slot it held", async () => {
    const { budget, held } = memoryBudget(1);
    let called = false;
    const failing: SharedCallBudget = {
      ...budget,
      bookCall: () => {
        throw new Error("connection terminated");
      },
    };
    await expect(withinSharedBudget(failing, { maxConcurrent: 1, qps: 10 }, async () => (called = true), never)).rejects.toBeInstanceOf(CallBudgetUnavailable);
    expect(called).toBe(false);
    expect(held.size).toBe(0);
    const noSlots: SharedCallBudget = {
      ...budget,
      claimSlot: () => {
        throw new Error("connection terminated");
      },
    };
    await expect(withinSharedBudget(noSlots, { maxConcurrent: 1, qps: 10 }, async () => (called = true), never)).rejects.toThrow(/shared call budget is unavailable: connection terminated/);
    expect(called).toBe(false);
  });
});
