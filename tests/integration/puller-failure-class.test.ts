import { afterEach, describe, expect, it } from "vitest";
import { type PullerWorld, compareWithTruth, pullOnce, startPullerWorld } from "../helpers/puller-harness.js";

let world: PullerWorld | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

/** Past the longest backoff the puller settings allow (30 s × 2^n, capped at 30 min, +20 %). */
const PAST_ANY_BACKOFF_MS = 40 * 60_000;

describe("the failure classification drives the puller (issue 9.3, 9.4)", () => {
  it("does not use up a message's attempts on transport failures, however many", async () => {
    world = await startPullerWorld({ products: 1, invalidShare: 0 }, { PULL_MAX_ATTEMPTS: "2" });
    const { gw, sim } = world;
    const [p] = sim.sim.products.all();
    if (!p) throw new Error("no product");
    const messageId = sim.sim.pool.all()[0]?.id ?? "";
    const entry = () => gw.container.repos.inbox.inboxEntry(world?.supplierId ?? -1, messageId);
    // Every attempt of S-4 (the client tries 4 times) answers 502, run after run.
    for (let run = 1; run <= 4; run++) {
      sim.sim.knobs.inject("detail", "http-5xx", 4);
      const summary = await pullOnce(world);
      expect(summary.counts["6"]).toMatchObject({ failed: 1 });
      expect(summary.counts["6"]?.quarantined ?? 0).toBe(0);
      expect(await entry()).toMatchObject({ status: "pending", attempts: 0, deferrals: run });
      // Not done: the run says so, with when the message comes due.
      expect(summary.status).toBe("partial");
      expect(summary.deferred).toEqual({ count: 1, nextAttemptAt: new Date((await entry())?.nextAttemptAt ?? 0).toISOString() });
      expect(summary.errors.map((e) => e.kind)).toEqual(["deferred"]);
      gw.clock.advance(PAST_ANY_BACKOFF_MS);
    }
    expect(await gw.container.sync.quarantined(world.code)).toEqual([]);
    const healed = await pullOnce(world);
    expect(healed.counts["6"]).toMatchObject({ applied: 1 });
    expect(healed).toMatchObject({ status: "succeeded", deferred: { count: 0, nextAttemptAt: null } });
    expect(await entry()).toMatchObject({ status: "applied" });
    expect(await compareWithTruth(world)).toEqual([]);
  });

  it("still quarantines a message whose answers break the contract (a deterministic failure)", async () => {
    world = await startPullerWorld({ products: 1, invalidShare: 0 }, { PULL_MAX_ATTEMPTS: "2" });
    const [p] = world.sim.sim.products.all();
    if (!p) throw new Error("no product");
    p.detail = { ...p.detail, name: "" };
    await pullOnce(world);
    world.gw.clock.advance(PAST_ANY_BACKOFF_MS);
    const second = await pullOnce(world);
    expect(second.counts["6"]).toMatchObject({ quarantined: 1 });
  });

  it("lets healthy messages through 30 % transport faults without quarantining any", async () => {
    // One attempt each: without the classification, the first failed group would be quarantined.
    // A call gives up only when all 4 of its attempts meet a fault, and calls run side by side, so
    // which attempt meets which fault is not fixed: enough calls (over 2,000) that some give up
    // whatever the order.
    world = await startPullerWorld({ products: 600, invalidShare: 0.1 }, { PULL_MAX_ATTEMPTS: "1" });
    const { gw, sim } = world;
    sim.sim.knobs.apply({ endpoints: { "*": { faults: { "http-5xx": 0.1, "drop-after-work": 0.08, "malformed-json": 0.06, "bad-signature": 0.06 } } } });
    sim.sim.generator.tick(700);
    let failed = 0;
    for (let run = 0; run < 20; run++) {
      const summary = await pullOnce(world);
      failed += Object.values(summary.counts).reduce((n, c) => n + c.failed, 0);
      expect(Object.values(summary.counts).reduce((n, c) => n + c.quarantined, 0)).toBe(0);
      if (sim.sim.pool.pending() === 0 && summary.pendingInInbox === 0) break;
      gw.clock.advance(PAST_ANY_BACKOFF_MS);
    }
    // The faults did reach messages: they waited and came back, never quarantined.
    expect(failed).toBeGreaterThan(0);
    expect(await gw.container.sync.quarantined(world.code)).toEqual([]);
    sim.sim.knobs.reset();
    expect(sim.sim.pool.pending()).toBe(0);
    expect(await compareWithTruth(world)).toEqual([]);
  }, 180_000);

  it("stops the run with its reason on a configuration failure instead of working through every type", async () => {
    // The supplier knows the mall as TJZFCG: every call of ours answers a signed 5013.
    world = await startPullerWorld({ products: 10, invalidShare: 0 }, { PLATFORM_CODE: "OTHERMALL" });
    const run = await pullOnce(world);
    expect(run.status).toBe("failed");
    expect(run.errors.at(-1)).toMatchObject({ kind: "configuration" });
    expect(run.errors.at(-1)?.message).toContain("5013");
    expect(run.callsByOperation.messagePool).toBe(1);
    expect(world.sim.sim.pool.pending()).toBe(10);
  });

  it("does not skip a type-6 add on an unsigned 商品不存在: the message waits and applies later", async () => {
    world = await startPullerWorld({ products: 3, invalidShare: 0 });
    const { gw, sim } = world;
    // Every S-4 attempt of the first run (3 skus × 4 attempts) answers an unsigned 商品不存在.
    sim.sim.knobs.refuseNext("detail", { code: 5099, desc: "商品不存在", unsigned: true }, 12);
    const first = await pullOnce(world);
    expect(first.counts["6"]).toMatchObject({ received: 3, failed: 3 });
    expect(first.counts["6"]?.skipped ?? 0).toBe(0);
    expect(first.pendingInInbox).toBe(3);
    expect(await gw.container.repos.products.list(world.supplierId)).toHaveLength(0);

    gw.clock.advance(PAST_ANY_BACKOFF_MS);
    const second = await pullOnce(world);
    expect(second.counts["6"]).toMatchObject({ applied: 3 });
    expect(await compareWithTruth(world)).toEqual([]);
  });

  it("still skips a type-6 add on a signed 商品不存在", async () => {
    world = await startPullerWorld({ products: 3, invalidShare: 0 });
    const [p] = world.sim.sim.products.all();
    if (!p) throw new Error("no product");
    // Withdrawn between publishing its add and our read: the supplier's signed answer is final.
    p.inPool = false;
    const run = await pullOnce(world);
    expect(run.counts["6"]).toMatchObject({ applied: 2, skipped: 1 });
  });
});
