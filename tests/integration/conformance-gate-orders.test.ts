import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SignMode } from "../../src/contract/index.js";
import { GateClosedError } from "../../src/conformance/production-gate.js";
import { orderableSkus } from "../helpers/order-products.js";
import { AREA, type OrderRig, SUPPLIER_CODE, orderFile, startOrderRig } from "../helpers/order-rig.js";
import { TEST_ACCOUNT } from "../helpers/simulator-harness.js";

let rig: OrderRig;
beforeAll(async () => {
  rig = await startOrderRig({ gate: "closed", sim: { products: 30 } });
});
afterAll(async () => {
  await rig.close();
});

describe("the production gate holds order pushes", () => {
  it("refuses a hand push without a mark, holds the order in the scheduler, and pushes it once the supplier is certified", async () => {
    const c = rig.gw.container;
    const sku = orderableSkus(rig.running.sim.exportTruth().products, AREA.province)[0]?.sku ?? "";
    const created = await c.orders.service.create(orderFile([{ sku }]), "user:test");
    if (!created.ok) throw created.error;
    const yggc = created.value.yggc_order;

    const refused = await c.orders.service.push(yggc, "user:test").catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(GateClosedError);
    expect((refused as GateClosedError).reason).toBe("no_mark");
    expect((refused as GateClosedError).message).toContain("no production trust mark");

    const scheduler = c.orders.scheduler({ intervalMs: 60_000 });
    expect(scheduler.tick()).toBe(1);
    await scheduler.stop();
    const held = c.orders.service.show(yggc);
    expect(held.ok && held.value).toMatchObject({ state: "created", pushAttempts: 0 });
    expect(held.ok && held.value.nextAttemptAt).toBeGreaterThan(c.clock());
    expect(rig.running.sim.orders.all().filter((o) => o.yggc_order === yggc)).toHaveLength(0);

    // The supplier certifies its sandbox (here the same reference supplier), then the push goes out.
    const { run } = await c.conformance.run({ supplier: SUPPLIER_CODE, target: { baseUrl: rig.running.url, ...TEST_ACCOUNT, signMode: SignMode.HmacSha256, bodyFormat: "form" }, actor: "test" });
    expect(run.passed).toBe(true);
    const pushed = await c.orders.service.push(yggc, "user:test");
    expect(pushed.ok && pushed.value.state).toBe("confirmed");

    c.conformance.suspend(SUPPLIER_CODE, "价格异常");
    const again = await c.orders.service.create(orderFile([{ sku }]), "user:test");
    if (!again.ok) throw again.error;
    const suspended = await c.orders.service.push(again.value.yggc_order, "user:test").catch((e: unknown) => e);
    expect((suspended as GateClosedError).reason).toBe("suspended");
  }, 60_000);
});
