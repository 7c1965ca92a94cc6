import { afterEach, describe, expect, it } from "vitest";
import { type PullerWorld, compareWithTruth, pullOnce, startPullerWorld } from "../helpers/puller-harness.js";

let world: PullerWorld | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

const PAST_ANY_BACKOFF_MS = 40 * 60_000;

const logOf = async (w: PullerWorld, messageId: string) =>
  (await w.gw.container.sync.messageLogs({ supplier: w.code, limit: 1000 })).filter((l) => l.messageId === messageId);

describe("per sku, pool order decides (issue 9.12)", () => {
  it("settles an older price message waiting in backoff as skipped once a newer one for its sku arrives, and applies only the newer", async () => {
    world = await startPullerWorld({ products: 2, invalidShare: 0 });
    await pullOnce(world);
    const { gw, sim } = world;
    const [p] = sim.sim.products.all();
    if (!p) throw new Error("no product");
    const [older] = sim.sim.changes.apply("price", p)?.messages ?? [];
    sim.sim.knobs.inject("prices", "http-5xx", 4);
    const first = await pullOnce(world);
    expect(first.counts["2"]).toMatchObject({ failed: 1 });

    const [newer] = sim.sim.changes.apply("price", p)?.messages ?? [];
    const second = await pullOnce(world);
    expect(second.counts["2"]).toMatchObject({ applied: 1, skipped: 1 });
    expect(second.callsByOperation.prices).toBe(1);
    expect((await logOf(world, newer?.id ?? "")).map((l) => l.outcome)).toEqual(["applied"]);
    const replaced = (await logOf(world, older?.id ?? "")).at(-1);
    expect(replaced?.outcome).toBe("skipped");
    expect(replaced?.reasonsJson).toContain(`已被同一商品较新的消息 ${newer?.id ?? ""} 取代`);

    // Past its backoff nothing is left of the older one to retry.
    gw.clock.advance(PAST_ANY_BACKOFF_MS);
    const third = await pullOnce(world);
    expect(third.counts["2"] ?? {}).toEqual({});
    expect(third.callsByOperation.prices ?? 0).toBe(0);
    expect(await compareWithTruth(world)).toEqual([]);
  });

  it("does not let an old add replayed from quarantine act after the product's newer removal", async () => {
    world = await startPullerWorld({ products: 3, invalidShare: 0 }, { PULL_MAX_ATTEMPTS: "1" });
    await pullOnce(world);
    const { gw, sim, code } = world;
    const [p] = sim.sim.products.all();
    if (!p) throw new Error("no product");
    sim.sim.changes.apply("withdraw", p);
    await pullOnce(world);
    expect((await gw.container.repos.products.bySku(world.supplierId, p.sku))?.status).toBe("delisted");

    // Re-added with a detail that breaks the contract: that add is quarantined.
    const goodName = p.detail.name;
    p.detail = { ...p.detail, name: "" };
    const [add] = sim.sim.changes.apply("readd", p)?.messages ?? [];
    const failed = await pullOnce(world);
    expect(failed.counts["6"]).toMatchObject({ quarantined: 1 });
    // Then withdrawn again, and that newer removal is applied.
    p.detail = { ...p.detail, name: goodName };
    const [removal] = sim.sim.changes.apply("withdraw", p)?.messages ?? [];
    await pullOnce(world);
    expect((await logOf(world, removal?.id ?? "")).map((l) => l.outcome)).toEqual(["applied"]);

    const replay = await gw.container.sync.replay(code, [add?.id ?? ""]);
    if (!replay.attempt.ran) throw new Error("lease busy");
    expect(replay.attempt.summary.counts["6"]).toMatchObject({ skipped: 1 });
    expect(replay.attempt.summary.callsByOperation.detail ?? 0).toBe(0);
    expect((await logOf(world, add?.id ?? "")).at(-1)?.reasonsJson).toContain("过期消息");
    expect((await gw.container.repos.products.bySku(world.supplierId, p.sku))?.status).toBe("delisted");
    expect(await compareWithTruth(world)).toEqual([]);
  });
});
