import { describe, expect, it } from "vitest";
import { CallBudgetUnavailable, type SharedCallBudget, SharedBudgetGate, type SlotClaim } from "../../src/supplier/call-budget.js";

/** An in-memory budget with `slots` slots and a fixed booking answer; records what was asked. */
function memoryBudget(slots: number, bookWaitMs = 0) {
  const held = new Set<number>();
  const asked = { claims: 0, granted: 0, renewals: 0, releases: 0, bookings: [] as Array<{ rate: number; count: number }> };
  let serial = 0;
  const budget: SharedCallBudget = {
    async claimSlot(maxConcurrent) {
      asked.claims++;
      for (let slot = 0; slot < Math.min(slots, maxConcurrent); slot++) {
        if (!held.has(slot)) {
          held.add(slot);
          asked.granted++;
          return { slot, holder: `h${++serial}` };
        }
      }
      return null;
    },
    renewSlot: async () => (asked.renewals++, true),
    async releaseSlot(claim: SlotClaim) {
      asked.releases++;
      held.delete(claim.slot);
    },
    async bookCalls(rate, _burst, count) {
      asked.bookings.push({ rate, count });
      return bookWaitMs;
    },
  };
  return { budget, held, asked };
}

const never = () => null;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

describe("SharedBudgetGate", () => {
  it("holds a call until a slot is free, books it a little under the limit, and gives the slot back once idle", async () => {
    const { budget, held, asked } = memoryBudget(1);
    const gate = new SharedBudgetGate(budget, { maxConcurrent: 1, qps: 100 });
    let inFlight = 0;
    let most = 0;
    const call = async () => {
      inFlight++;
      most = Math.max(most, inFlight);
      await sleep(30);
      inFlight--;
      return "answered";
    };
    const answers = await Promise.all([1, 2, 3].map(() => gate.run(call, never)));
    expect(answers).toEqual(["answered", "answered", "answered"]);
    expect(most).toBe(1);
    // One claim served all three: the slot went from call to call without the database.
    expect(asked.granted).toBe(1);
    expect(asked.claims).toBeGreaterThan(1);
    for (const { rate } of asked.bookings) {
      expect(rate).toBeLessThan(100);
      expect(rate).toBeGreaterThanOrEqual(95);
    }
    await sleep(60);
    expect(held.size).toBe(0);
    expect(asked.releases).toBe(1);
  });

  it("gives a slot back at the end of its call once it was claimed a while ago, so other instances get their turn", async () => {
    const { budget, held, asked } = memoryBudget(1);
    let clock = 0;
    const gate = new SharedBudgetGate(
      budget,
      { maxConcurrent: 1, qps: 1_000 },
      () => 1,
      Math.random,
      () => clock,
    );
    await gate.run(async () => undefined, never);
    expect(held.size).toBe(1);
    await gate.run(async () => void (clock = 1_500), never);
    expect(asked.granted).toBe(1);
    expect(asked.releases).toBe(1);
    expect(held.size).toBe(0);
  });

  it("books as many turns as calls are waiting, spaced by the rate, and uses them without asking again", async () => {
    const { budget, asked } = memoryBudget(3);
    const gate = new SharedBudgetGate(budget, { maxConcurrent: 3, qps: 100 }, () => 3);
    const startedAt: number[] = [];
    await Promise.all([1, 2, 3].map(() => gate.run(async () => void startedAt.push(performance.now()), never)));
    expect(asked.bookings.map((b) => b.count)).toEqual([3]);
    startedAt.sort((x, y) => x - y);
    // 97.5 calls a second: a turn every 10.3 ms.
    expect((startedAt[1] ?? 0) - (startedAt[0] ?? 0)).toBeGreaterThanOrEqual(9);
    expect((startedAt[2] ?? 0) - (startedAt[0] ?? 0)).toBeGreaterThanOrEqual(19);
    gate.close();
  });

  it("never books more than a short stretch ahead, and drops turns whose time passed unused", async () => {
    const { budget, asked } = memoryBudget(1);
    const gate = new SharedBudgetGate(budget, { maxConcurrent: 1, qps: 100 }, () => 500);
    await gate.run(async () => undefined, never);
    // 50 ms of turns at 97.5 a second.
    expect(asked.bookings.map((b) => b.count)).toEqual([4]);
    await sleep(80);
    await gate.run(async () => undefined, never);
    expect(asked.bookings).toHaveLength(2);
    gate.close();
  });

  it("waits the booked time before the call", async () => {
    const { budget } = memoryBudget(1, 120);
    const gate = new SharedBudgetGate(budget, { maxConcurrent: 1, qps: 5 });
    const began = performance.now();
    await gate.run(async () => undefined, never);
    expect(performance.now() - began).toBeGreaterThanOrEqual(110);
    gate.close();
  });

  it("renews the slot of a call that runs past a third of its lease", async () => {
    const { budget, asked } = memoryBudget(1);
    let offset = 0;
    const gate = new SharedBudgetGate(
      budget,
      { maxConcurrent: 1, qps: 100 },
      () => 1,
      Math.random,
      () => performance.now() + offset,
    );
    await gate.run(async () => {
      offset = 2_000;
      await sleep(1_000);
    }, never);
    expect(asked.renewals).toBeGreaterThanOrEqual(1);
    gate.close();
  });

  it("gives up waiting for a slot, without calling, when the caller stops", async () => {
    const { budget } = memoryBudget(0);
    const gate = new SharedBudgetGate(budget, { maxConcurrent: 1, qps: 10 });
    let stop: Error | null = null;
    let called = false;
    const waiting = gate.run(
      async () => (called = true),
      () => stop,
    );
    await sleep(30);
    stop = new Error("the client is closed");
    await expect(waiting).rejects.toThrow("the client is closed");
    expect(called).toBe(false);
  });

  it("asks the database for one booking at a time: callers that find no turn wait for the booking in flight", async () => {
    const { budget, asked } = memoryBudget(4);
    let inFlight = 0;
    let most = 0;
    const slowBooking: SharedCallBudget = {
      ...budget,
      async bookCalls(rate, burst, count) {
        inFlight++;
        most = Math.max(most, inFlight);
        await sleep(15);
        inFlight--;
        return budget.bookCalls(rate, burst, count);
      },
    };
    const gate = new SharedBudgetGate(slowBooking, { maxConcurrent: 4, qps: 1_000 }, () => 4);
    const answers = await Promise.all([1, 2, 3, 4].map((n) => gate.run(async () => n, never)));
    expect(answers).toEqual([1, 2, 3, 4]);
    expect(most).toBe(1);
    // The one booking took turns for all four waiting calls.
    expect(asked.bookings).toEqual([{ rate: expect.any(Number), count: 4 }]);
    gate.close();
  });

  it("answers a budget the database cannot give as CallBudgetUnavailable, not sent, and gives back a slot it held", async () => {
    const { budget, held } = memoryBudget(1);
    let called = false;
    const failing: SharedCallBudget = {
      ...budget,
      bookCalls: async () => {
        throw new Error("connection terminated");
      },
    };
    const gate = new SharedBudgetGate(failing, { maxConcurrent: 1, qps: 10 });
    await expect(gate.run(async () => (called = true), never)).rejects.toBeInstanceOf(CallBudgetUnavailable);
    expect(called).toBe(false);
    gate.close();
    expect(held.size).toBe(0);
    const noSlots: SharedCallBudget = {
      ...budget,
      claimSlot: async () => {
        throw new Error("connection terminated");
      },
    };
    await expect(new SharedBudgetGate(noSlots, { maxConcurrent: 1, qps: 10 }).run(async () => (called = true), never)).rejects.toThrow(
      /shared call budget is unavailable: connection terminated/,
    );
    expect(called).toBe(false);
  });
});
