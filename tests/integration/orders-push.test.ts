import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSupplierConnections } from "../../src/connections/supplier-connections.js";
import { silentLogger } from "../../src/lib/logger.js";
import { createOrderModule } from "../../src/orders/order-module.js";
import { createAccountRepo } from "../../src/store/repos/account-repo.js";
import { createOrderRepo } from "../../src/store/repos/order-repo.js";
import { createProductRepo } from "../../src/store/repos/product-repo.js";
import { createReferenceRepo } from "../../src/store/repos/reference-repo.js";
import type { PushClient } from "../../src/orders/order-push.js";
import type { SupplierClient } from "../../src/supplier/supplier-client.js";
import { orderableSkus } from "../helpers/order-products.js";
import { AREA, type OrderRig, openGatewayStore, orderFile, orderSteps, startOrderRig } from "../helpers/order-rig.js";

const ACTOR = "user:test-staff";

describe("order push against the simulator (S-11, S-12)", () => {
  let rig: OrderRig;
  let skus: string[];
  const { service, freshSku, simProduct, create, push } = orderSteps(() => ({ rig, skus }), ACTOR);
  const simOrdersOf = (yggcOrder: string) => rig.running.sim.exportTruth().orders.filter((o) => o.yggc_order === yggcOrder);
  const timelineOf = async (yggcOrder: string) => {
    const shown = await service().show(yggcOrder);
    if (!shown.ok) throw shown.error;
    return shown.value.timeline;
  };

  beforeAll(async () => {
    rig = await startOrderRig({ sim: { products: 120, offShelfShare: 0 } });
    skus = orderableSkus(rig.running.sim.exportTruth().products, AREA.province, 20)
      .filter((t) => t.stock !== null)
      .map((t) => t.sku);
  });
  afterAll(async () => {
    await rig.close();
  });

  it("submits and confirms a clean order, recording the supplier order id and every transition", async () => {
    const sku = freshSku();
    const order = await create(orderFile([{ sku, num: 2 }]));
    expect(order.state).toBe("created");
    expect(order.yggc_order).toMatch(/^TJ\d{8}\d{8}$/);
    expect(order.lines[0]?.priceFen).toBe(simProduct(sku).priceFen);

    const pushed = await push(order.yggc_order);
    expect(pushed.state).toBe("confirmed");
    const [simOrder, ...others] = simOrdersOf(order.yggc_order);
    expect(others).toHaveLength(0);
    expect(simOrder?.state).toBe("confirmed");
    expect(pushed.mall_order_id).toBe(simOrder?.mall_order_id);
    expect(simOrder?.orderPriceFen).toBe(order.orderPriceFen);
    expect(simOrder?.freightFen).toBe(order.freightFen);

    const timeline = await timelineOf(order.yggc_order);
    expect(timeline.map((e) => `${e.fromState ?? "-"}>${e.toState}`)).toEqual([
      "->created",
      "created>submitting",
      "submitting>submitted",
      "submitted>confirming",
      "confirming>confirmed",
    ]);
    const submitted = timeline.find((e) => e.toState === "submitted");
    expect(submitted?.mallOrderId).toBe(pushed.mall_order_id);
    expect(submitted?.durationMs).toBeGreaterThanOrEqual(0);
    expect(timeline.every((e) => e.actor === ACTOR)).toBe(true);
  });

  it("changes nothing when a confirmed order is pushed again", async () => {
    const order = await create(orderFile([{ sku: freshSku() }]));
    await push(order.yggc_order);
    const before = { events: (await timelineOf(order.yggc_order)).length, sim: simOrdersOf(order.yggc_order) };
    const again = await push(order.yggc_order);
    expect(again.state).toBe("confirmed");
    expect(await timelineOf(order.yggc_order)).toHaveLength(before.events);
    expect(simOrdersOf(order.yggc_order)).toEqual(before.sim);
  });

  it("stops on 价格不一致 with the supplier's reason and records both prices without re-pricing", async () => {
    const sku = freshSku();
    const order = await create(orderFile([{ sku }]));
    const storedFen = simProduct(sku).priceFen;
    simProduct(sku).priceFen = storedFen + 1_234;

    const pushed = await push(order.yggc_order);
    expect(pushed.state).toBe("failed");
    expect(pushed.failure).toMatchObject({ kind: "refused", code: 5099 });
    expect(pushed.failure?.reason).toContain("价格不一致");
    expect(pushed.priceCheck).toEqual([{ sku, storedPriceFen: storedFen, supplierPriceFen: storedFen + 1_234 }]);
    expect(pushed.lines[0]?.priceFen).toBe(storedFen);
    expect((await rig.gw.container.repos.products.bySku(rig.supplier.id, sku))?.priceFen).toBe(storedFen);
    expect(simOrdersOf(order.yggc_order)).toHaveLength(0);
    expect((await timelineOf(order.yggc_order)).map((e) => e.step)).toContain("price-check");
  });

  it("stops on 已下架 when the supplier took the sku off shelf after intake", async () => {
    const sku = freshSku();
    const order = await create(orderFile([{ sku }]));
    simProduct(sku).shelfState = 0;
    const pushed = await push(order.yggc_order);
    expect(pushed).toMatchObject({ state: "failed", failure: { kind: "refused", code: 5099 } });
    expect(pushed.failure?.reason).toContain("已下架");
    expect(simOrdersOf(order.yggc_order)).toHaveLength(0);
  });

  it("stops on 库存不足 when the stock ran out after intake, read again with S-8 before submitting (§6)", async () => {
    const sku = freshSku();
    const order = await create(orderFile([{ sku, num: 3 }]));
    const stock = simProduct(sku).stock;
    if (stock) stock.byProvince[AREA.province] = 1;
    const pushed = await push(order.yggc_order);
    expect(pushed).toMatchObject({ state: "failed", failure: { kind: "refused" } });
    expect(pushed.failure?.reason).toContain("库存不足");
    expect(pushed.failure?.reason).toContain("S-8");
    expect(simOrdersOf(order.yggc_order)).toHaveLength(0);
  });

  it("on 5013 (our platformCode) pauses the supplier's pushes instead of failing the order, which confirms once resumed", async () => {
    const order = await create(orderFile([{ sku: freshSku() }]));
    const c = rig.gw.container;
    const wrongPlatform = createSupplierConnections({
      accounts: c.repos.accounts,
      repo: c.repos.connections,
      keys: c.keys,
      platformCode: "NOSUCHPLATFORM",
      logger: silentLogger(),
    });
    const module = createOrderModule({
      repo: createOrderRepo(c.store.sql),
      accounts: c.repos.accounts,
      products: c.repos.products,
      reference: c.repos.reference,
      keys: c.keys,
      connections: wrongPlatform,
      clock: c.clock,
      logger: silentLogger(),
      gate: c.conformance.gate,
    });
    try {
      const pushed = await module.service.push(order.yggc_order, ACTOR);
      expect(pushed.ok && pushed.value).toMatchObject({ state: "submitting", failure: null, pushPause: { supplier: rig.supplier.code, code: 5013 } });
    } finally {
      await wrongPlatform.closeAll();
    }
    // Paused: the scheduler claims none of the supplier's orders, and staff cannot push past it.
    expect((await createOrderRepo(c.store.sql).claimDue("probe", rig.gw.clock.now() + 3_600_000, 1_000, 100)).map((o) => o.yggcOrder)).not.toContain(
      order.yggc_order,
    );
    const refused = await service().push(order.yggc_order, ACTOR);
    expect(refused.ok).toBe(false);
    expect(!refused.ok && refused.error.message).toContain("paused");
    expect(await service().pauses()).toMatchObject([{ supplier: rig.supplier.code, code: 5013, yggc_order: order.yggc_order }]);

    expect((await service().resume(rig.supplier.code)).ok).toBe(true);
    const resumed = await push(order.yggc_order);
    expect(resumed).toMatchObject({ state: "confirmed", pushPause: null });
    expect(simOrdersOf(order.yggc_order)).toHaveLength(1);
  });

  it("keeps a confirm whose answers were lost in confirming, and confirms on the next push after the backoff", async () => {
    const order = await create(orderFile([{ sku: freshSku() }]));
    // The client tries a confirm 4 times (retry-policy); all four answers are lost.
    rig.running.sim.knobs.inject("confirmOrder", "http-5xx", 2);
    rig.running.sim.knobs.inject("confirmOrder", "drop-after-work", 2);
    const first = await push(order.yggc_order);
    expect(first.state).toBe("confirming");
    expect(first.mall_order_id).not.toBeNull();
    expect(first.nextAttemptAt).toBeGreaterThan(rig.gw.clock.now());
    expect(simOrdersOf(order.yggc_order)[0]?.state).toBe("confirmed");

    rig.gw.clock.advance(60_000);
    const second = await push(order.yggc_order);
    expect(second.state).toBe("confirmed");
    const confirms = (await timelineOf(order.yggc_order)).filter((e) => e.step === "confirm");
    expect(confirms.map((e) => e.errorKind)).toEqual([null, "network", null]);
    expect(simOrdersOf(order.yggc_order)).toHaveLength(1);
  });

  it("resolves a submit whose answers were dropped by resubmitting the same yggc_order: one supplier order", async () => {
    const order = await create(orderFile([{ sku: freshSku() }]));
    rig.running.sim.knobs.inject("submitOrder", "drop-after-work", 3);
    const first = await push(order.yggc_order);
    expect(first.state).toBe("submitting");
    expect(simOrdersOf(order.yggc_order)).toHaveLength(1);

    rig.gw.clock.advance(60_000);
    const second = await push(order.yggc_order);
    expect(second.state).toBe("confirmed");
    const [simOrder, ...others] = simOrdersOf(order.yggc_order);
    expect(others).toHaveLength(0);
    expect(simOrder?.submitCount).toBe(4);
    expect(second.mall_order_id).toBe(simOrder?.mall_order_id);
  });

  it("resumes after a crash between the supplier's answer and our write: the resubmit returns the same order", async () => {
    const order = await create(orderFile([{ sku: freshSku() }]));
    const c = rig.gw.container;
    // A second pusher over its own connection to the same file; it dies right after S-11 answers.
    const doomed = await openGatewayStore(rig.gw);
    const doomedRepo = createOrderRepo(doomed.sql);
    const crashing: PushClient & Pick<SupplierClient, "stocks"> = {
      submitOrder: async (o) => {
        const answer = await (await c.supplierConnections.clientFor(rig.supplier.id)).submitOrder(o);
        doomed.close();
        return answer;
      },
      confirmOrder: async (id) => (await c.supplierConnections.clientFor(rig.supplier.id)).confirmOrder(id),
      prices: async (s) => (await c.supplierConnections.clientFor(rig.supplier.id)).prices(s),
      stocks: async (s, area) => (await c.supplierConnections.clientFor(rig.supplier.id)).stocks(s, area),
    };
    const accounts = createAccountRepo(doomed.sql);
    const module = createOrderModule({
      repo: doomedRepo,
      accounts,
      products: createProductRepo(doomed.sql),
      reference: createReferenceRepo(doomed.sql),
      keys: c.keys,
      connections: { clientFor: () => crashing },
      clock: c.clock,
      logger: silentLogger(),
      gate: c.conformance.gate,
      policy: { leaseMs: 1_000 },
    });
    await expect(module.service.push(order.yggc_order, "scheduler")).rejects.toThrow();

    const stuck = await service().show(order.yggc_order);
    expect(stuck.ok && stuck.value.state).toBe("submitting");
    expect(simOrdersOf(order.yggc_order)).toHaveLength(1);

    rig.gw.clock.advance(2_000); // the dead pusher's lease expires
    const resumed = await push(order.yggc_order);
    expect(resumed.state).toBe("confirmed");
    const [simOrder, ...others] = simOrdersOf(order.yggc_order);
    expect(others).toHaveLength(0);
    expect(simOrder?.submitCount).toBe(2);
    expect(resumed.mall_order_id).toBe(simOrder?.mall_order_id);
  });
});
