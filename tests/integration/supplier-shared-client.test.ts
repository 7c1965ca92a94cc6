import { afterEach, describe, expect, it } from "vitest";
import { type PullerWorld, compareWithTruth, pullOnce, startPullerWorld } from "../helpers/puller-harness.js";
import { AREA, orderFile } from "../helpers/order-rig.js";
import { orderableSkus } from "../helpers/order-products.js";
import { TEST_ACCOUNT } from "../helpers/simulator-harness.js";

let world: PullerWorld | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

/** The connection's limit, and the supplier's own (a little above it: arrival times jitter). */
const CONNECTION_QPS = 20;
const SUPPLIER_QPS = 30;
/**
 * The simulator shares this process, so a stall of the event loop (GC, a loaded CI machine) hands it
 * calls the client sent evenly spaced as one burst: a stray refusal or two is that jitter, not a
 * second limiter. That a single client serves every job is shown by the login count below.
 */
const JITTER_REFUSALS = 2;
const STOCK_AREAS = ["120101", "120102", "120103", "120104", "120105", "120106", "120110", "120111"].map((county) => `120000_120100_${county}`);

describe("one supplier client per connection, shared (issue 9.13)", () => {
  it("keeps a concurrent pull, stock refresh and order pushes within the supplier's QPS, logged in once", async () => {
    world = await startPullerWorld({ products: 120, invalidShare: 0, offShelfShare: 0 });
    const { gw, sim, code } = world;
    await pullOnce(world);
    await gw.container.supplierConnections.connect({
      code,
      baseUrl: sim.url,
      username: TEST_ACCOUNT.username,
      password: TEST_ACCOUNT.password,
      appSecret: TEST_ACCOUNT.appSecret,
      qps: CONNECTION_QPS,
      maxConcurrent: 4,
      timeoutMs: 5_000,
      stockAreas: STOCK_AREAS,
    });
    const orders = gw.container.orders.service;
    const skus = orderableSkus(sim.sim.exportTruth().products, AREA.province, 5)
      .slice(0, 6)
      .map((t) => t.sku);
    expect(skus).toHaveLength(6);
    const yggc: string[] = [];
    for (const sku of skus) {
      const created = await orders.create(orderFile([{ sku }], { supplier: code }), "test");
      if (!created.ok) throw created.error;
      yggc.push(created.value.yggc_order);
    }
    // Intake checked stock (S-8) with the new connection's client: its one login is done.
    const loginsBefore = sim.sim.knobs.admitted.get("token") ?? 0;
    sim.sim.knobs.apply({ supplierQps: SUPPLIER_QPS });
    sim.sim.generator.tick(60);

    const [pull, stock, ...pushed] = await Promise.all([
      gw.container.sync.pull(code),
      gw.container.sync.stock(code),
      ...yggc.map((o) => orders.push(o, "test")),
    ]);
    expect(sim.sim.knobs.throttled, "calls refused as too fast").toBeLessThanOrEqual(JITTER_REFUSALS);
    expect((sim.sim.knobs.admitted.get("token") ?? 0) - loginsBefore, "logins").toBe(0);
    // The pull and the stock refresh share the supplier's lease: one runs beside the order pushes,
    // the other answers busy; which one wins is a race.
    const ran = [pull, stock].filter((a) => a.ran);
    expect(ran).toHaveLength(1);
    for (const a of ran) expect(a.ran && a.summary.status).toBe("succeeded");
    expect(pushed.map((p) => (p.ok ? p.value.state : p.error.message))).toEqual(yggc.map(() => "confirmed"));
    // Each run still has its own call log, without the others' calls.
    if (pull.ran) expect(Object.keys(pull.summary.callsByOperation)).not.toContain("submitOrder");
    if (stock.ran) expect(stock.summary.callsByOperation).toEqual({ stocks: 2 * STOCK_AREAS.length });
    const other = pull.ran ? await gw.container.sync.stock(code) : await gw.container.sync.pull(code);
    expect(other.ran && other.summary.status).toBe("succeeded");
    expect(sim.sim.knobs.throttled, "calls refused as too fast").toBeLessThanOrEqual(JITTER_REFUSALS);
    expect((sim.sim.knobs.admitted.get("token") ?? 0) - loginsBefore, "logins").toBe(0);
    expect(await compareWithTruth(world)).toEqual([]);
  }, 120_000);

  it("rebuilds the shared client when the connection changes", async () => {
    world = await startPullerWorld({ products: 3, invalidShare: 0 });
    const { gw, code, supplierId } = world;
    const before = await gw.container.supplierConnections.clientFor(supplierId);
    expect(await gw.container.supplierConnections.clientFor(supplierId)).toBe(before);
    await pullOnce(world);
    gw.clock.advance(1_000);
    await gw.container.supplierConnections.connect({ code, baseUrl: world.sim.url, ...TEST_ACCOUNT, qps: 5, maxConcurrent: 2 });
    const after = await gw.container.supplierConnections.clientFor(supplierId);
    expect(after).not.toBe(before);
    expect((await before.prices(["1"])).ok).toBe(false);
    expect((await after.token()).ok).toBe(true);
  });
});
