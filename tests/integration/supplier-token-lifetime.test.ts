import { afterEach, describe, expect, it } from "vitest";
import { AREA, type OrderRig, orderFile, startOrderRig } from "../helpers/order-rig.js";
import { orderableSkus } from "../helpers/order-products.js";
import { type ConformanceRig, certify, startConformanceRig } from "../helpers/conformance-rig.js";
import { type PullerWorld, compareWithTruth, liveClock, pullOnce, startPullerWorld } from "../helpers/puller-harness.js";

/**
 * §2.1 lets a supplier choose its token lifetime (`expires_in`). With lifetimes of a few seconds and
 * call limits that make the work outlast several of them, every call must go out with a token that
 * is alive when it arrives: taken when the call is sent, inside its turn, and renewed before it dies.
 */
describe("short-lived supplier tokens", () => {
  let world: PullerWorld | undefined;
  let orderRig: OrderRig | undefined;
  let kitRig: ConformanceRig | undefined;
  afterEach(async () => {
    await world?.close();
    await orderRig?.close();
    await kitRig?.close();
    world = orderRig = kitRig = undefined;
  });

  it("drains in one run at the connection's default limits while tokens live 3 s: no call refused for an expired token, every sku right", async () => {
    // The default limits (4 at once, 20 a second): 80 skus' S-4 and S-5 alone take 8 s, about three lifetimes.
    world = await startPullerWorld({ products: 80, invalidShare: 0.1, tokenTtlSeconds: 3 }, {}, undefined, null);
    const { auth } = world.sim.sim;
    const summary = await pullOnce(world);
    expect(summary.errors).toEqual([]);
    expect(summary.status).toBe("succeeded");
    expect(summary.counts["6"]).toMatchObject({ received: 80, failed: 0, quarantined: 0 });
    expect(summary.deferred).toEqual({ count: 0, nextAttemptAt: null });
    expect(auth.expiredTokenRefusals).toBe(0);
    expect(auth.tokensIssued).toBeGreaterThanOrEqual(3);
    expect(await compareWithTruth(world)).toEqual([]);
  });

  it("pushes orders at a low QPS while tokens live 2 s: every order confirmed once, no call refused for an expired token", async () => {
    orderRig = await startOrderRig({ sim: { products: 60, offShelfShare: 0, tokenTtlSeconds: 2 }, qps: 4, maxConcurrent: 2 });
    const rig = orderRig;
    const skus = orderableSkus(rig.running.sim.exportTruth().products, AREA.province, 12)
      .filter((t) => t.stock !== null)
      .map((t) => t.sku)
      .slice(0, 10);
    const service = rig.gw.container.orders.service;
    const created = [];
    for (const sku of skus) {
      const order = await service.create(orderFile([{ sku }]), "user:test-staff");
      if (!order.ok) throw order.error;
      created.push(order.value.yggc_order);
    }
    // Pushed together: each S-11 and S-12 waits its turn at 4 a second, the last ones ~5 s, over two lifetimes.
    const pushed = await Promise.all(created.map((y) => service.push(y, "user:test-staff")));
    expect(pushed.map((p) => (p.ok ? p.value.state : p.error.message))).toEqual(created.map(() => "confirmed"));
    const atSupplier = rig.running.sim.exportTruth().orders;
    expect(created.map((y) => atSupplier.filter((o) => o.yggc_order === y && o.state === "confirmed").length)).toEqual(created.map(() => 1));
    expect(rig.running.sim.auth.expiredTokenRefusals).toBe(0);
    expect(rig.running.sim.auth.tokensIssued).toBeGreaterThanOrEqual(2);
  });

  it("certifies a sandbox whose tokens live 1 s", async () => {
    // The kit's client keeps the gateway's clock: a live one here, as in production, since the
    // sandbox's tokens die in real time.
    kitRig = await startConformanceRig({ tokenTtlSeconds: 1 }, {}, liveClock());
    const { run } = await certify(kitRig);
    const failed = run.modules.flatMap((m) => m.steps.filter((s) => s.status === "failed").map((s) => `${s.id}: ${s.detail}`));
    expect(failed).toEqual([]);
    expect(run.passed).toBe(true);
    expect(kitRig.sandbox.sim.auth.tokensIssued).toBeGreaterThanOrEqual(2);
  });
});
