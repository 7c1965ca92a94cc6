import { afterEach, describe, expect, it } from "vitest";
import { type PullerWorld, compareWithTruth, pullOnce, startPullerWorld } from "../helpers/puller-harness.js";

let world: PullerWorld | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

const pull = pullOnce;

describe("draining a supplier's message pool (§6)", () => {
  it("stores every offered product, rejects the invalid ones with their codes, and empties the pool", async () => {
    world = await startPullerWorld({ products: 120, invalidShare: 0.2 });
    const summary = await pull(world);
    expect(summary.status).toBe("succeeded");
    expect(summary.counts["6"]?.received).toBe(120);
    expect((summary.counts["6"]?.applied ?? 0) + (summary.counts["6"]?.rejected ?? 0)).toBe(120);
    expect(summary.counts["6"]?.rejected).toBeGreaterThan(0);
    expect(world.sim.sim.pool.pending()).toBe(0);
    expect(await compareWithTruth(world)).toEqual([]);
    // §3 batching: 120 skus → 2 calls each of S-6, S-7, S-9, S-10; S-4/S-5 once per sku.
    expect(summary.callsByOperation.prices).toBe(2);
    expect(summary.callsByOperation.detail).toBe(120);
    expect(summary.pendingInInbox).toBe(0);
  });

  it("applies price (2), shelf state (4), detail (16) and pool changes (6) by re-reading the supplier", async () => {
    world = await startPullerWorld({ products: 40, invalidShare: 0 });
    await pull(world);
    const { changes, products } = world.sim.sim;
    const [a, b, c, d] = products.all();
    if (!a || !b || !c || !d) throw new Error("too few products");
    changes.apply("price", a, { priceFen: a.mallPriceFen - 100, mallPriceFen: a.mallPriceFen });
    changes.apply("shelf-off", b);
    changes.apply("detail", c);
    changes.apply("withdraw", d);
    const summary = await pull(world);
    expect(summary.counts["2"]?.applied).toBe(1);
    expect(summary.counts["4"]?.applied).toBe(1);
    expect(summary.counts["16"]?.applied).toBe(1);
    expect(summary.counts["6"]?.applied).toBe(1);
    const repo = world.gw.container.repos.products;
    expect((await repo.bySku(world.supplierId, a.sku))?.priceFen).toBe(a.priceFen);
    expect((await repo.priceHistoryOf(world.supplierId, a.sku)).map((h) => h.priceFen).at(-1)).toBe(a.priceFen);
    expect((await repo.bySku(world.supplierId, b.sku))?.shelfState).toBe(0);
    expect((await repo.bySku(world.supplierId, c.sku))?.name).toBe(c.detail.name);
    expect((await repo.bySku(world.supplierId, d.sku))?.status).toBe("delisted");
    expect(await compareWithTruth(world)).toEqual([]);

    changes.apply("readd", d);
    await pull(world);
    expect((await repo.bySku(world.supplierId, d.sku))?.status).toBe("active");
  });

  it("rejects each §7 defect with its code, names banned terms, and re-accepts a fixed product", async () => {
    world = await startPullerWorld({ products: 30, invalidShare: 0 });
    await pull(world);
    const { changes, products } = world.sim.sim;
    const all = products.all();
    const defects = ["unknown-attribute-value", "missing-required-param", "bad-image-format", "foreign-domain-url", "price-above-mall-price"] as const;
    defects.forEach((defect, i) => {
      const p = all[i];
      if (p) changes.apply("break", p, undefined, defect);
    });
    const banned = all[6];
    if (!banned) throw new Error("too few products");
    banned.detail = { ...banned.detail, name: `${banned.detail.name} 全国销量第一` };
    world.sim.sim.pool.publish(16, { skuId: banned.sku });
    await pull(world);
    // The simulator does not screen content, so its truth calls the banned-term product valid.
    expect((await compareWithTruth(world)).filter((d) => !d.startsWith(banned.sku))).toEqual([]);
    const stored = await world.gw.container.repos.products.bySku(world.supplierId, banned.sku);
    expect(stored?.status).toBe("rejected");
    expect(stored?.rejectionJson).toContain("第一");
    const reasons = JSON.parse((await world.gw.container.repos.products.bySku(world.supplierId, all[4]?.sku ?? ""))?.rejectionJson ?? "[]") as Array<{
      code: number;
      field: string;
      message: string;
    }>;
    expect(reasons).toContainEqual(expect.objectContaining({ code: 5099, field: "price", message: expect.stringContaining("协议价高于商城价") }));

    const priceBroken = all[4];
    if (priceBroken) changes.apply("fix", priceBroken);
    await pull(world);
    expect((await world.gw.container.repos.products.bySku(world.supplierId, priceBroken?.sku ?? ""))?.status).toBe("active");
  });

  it("records every message's fate and the calls it made", async () => {
    world = await startPullerWorld({ products: 10, invalidShare: 0 });
    const summary = await pull(world);
    const logs = await world.gw.container.sync.messageLogs({ runId: summary.runId, limit: 100 });
    expect(logs).toHaveLength(10);
    const first = logs[0];
    if (!first) throw new Error("no log");
    const calls = await world.gw.container.sync.callsOf(summary.runId, JSON.parse(first.callSeqsJson) as number[]);
    expect(calls.map((c) => c.operation)).toEqual(
      expect.arrayContaining(["messageDelete", "detail", "attributes", "promise", "shelfStates", "images", "prices"]),
    );
    const runs = await world.gw.container.sync.runs({ supplier: world.code, limit: 5 });
    expect(runs[0]).toMatchObject({ id: summary.runId, status: "succeeded", trigger: "manual" });
    expect(runs[0]?.callsMade).toBe(summary.callsMade);
  });
});
