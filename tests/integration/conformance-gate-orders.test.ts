import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SignMode } from "../../src/contract/index.js";
import { GateClosedError } from "../../src/conformance/production-gate.js";
import { consoleLogin, postForm } from "../helpers/console-session.js";
import { orderableSkus } from "../helpers/order-products.js";
import { AREA, type OrderRig, SUPPLIER_CODE, orderFile, startOrderRig } from "../helpers/order-rig.js";
import { TEST_ACCOUNT } from "../helpers/simulator-harness.js";
import { apiCall, apiLogin } from "../helpers/two-supplier-world.js";

const PASSWORD = "correct horse battery staple";

let rig: OrderRig;
let sku: string;
beforeAll(async () => {
  rig = await startOrderRig({ gate: "closed", sim: { products: 30 } });
  sku = orderableSkus(rig.running.sim.exportTruth().products, AREA.province)[0]?.sku ?? "";
});
afterAll(async () => {
  await rig.close();
});

/** A run empties the sandbox's type-6 pool: as a supplier would, it re-announces its skus before the next (conformance-rig.ts). */
const certify = () => {
  if (rig.running.sim.pool.pending(6) === 0) rig.running.sim.changes.publishPool();
  return rig.gw.container.conformance.run({
    supplier: SUPPLIER_CODE,
    target: { baseUrl: rig.running.url, ...TEST_ACCOUNT, signMode: SignMode.HmacSha256, bodyFormat: "form" },
    actor: "test",
  });
};
/** S-8 calls the reference supplier let in. */
const stockCalls = () => rig.running.sim.knobs.admitted.get("stocks") ?? 0;

describe("the production gate holds S-8 stock queries", () => {
  it("asks a supplier without a mark or waiver no stock: the order form says why, order intake answers 409, the console says it in zh-CN", async () => {
    const c = rig.gw.container;
    await c.admin.users.create({ username: "buyer", role: "procurement", password: PASSWORD });
    const api = await apiLogin(rig.gw.url, "buyer");
    const before = stockCalls();

    const form = await apiCall(rig.gw.url, api, "GET", `/order-form?${new URLSearchParams({ supplier: SUPPLIER_CODE, q: sku, ...AREA })}`);
    expect(form.status).toBe(200);
    const lookup = (await form.json()) as {
      stockArea: string | null;
      stockError: string | null;
      products: Array<{ sku: string; orderable: boolean; stock: unknown }>;
    };
    expect(lookup.stockArea).toBe(`${AREA.province}_${AREA.city}_${AREA.county}`);
    expect(lookup.stockError).toMatch(/^supplier SIMJD has no production trust mark .*not asked for stock/);
    expect(lookup.products.find((p) => p.sku === sku)).toMatchObject({ orderable: true, stock: null });

    const created = await apiCall(rig.gw.url, api, "POST", "/orders", orderFile([{ sku }]));
    expect(created.status).toBe(409);
    const refused = (await created.json()) as { error: { code: string; message: string } };
    expect(refused.error.code).toBe("conflict");
    expect(refused.error.message).toMatch(/^supplier SIMJD has no production trust mark/);

    const browser = await consoleLogin(rig.gw.url, "buyer", PASSWORD);
    const page = await postForm(rig.gw.url, browser, "/admin/orders", {
      supplier: SUPPLIER_CODE,
      items: `${sku} 1`,
      name: "张三丰",
      mobile: "13812345678",
      ...AREA,
      address: "南京路118号3楼",
      invoice_title: "天津市和平区教育局",
      invoice_type: "1",
      invoice_org_code: "11120101MB1234567X",
      payment: "2",
    });
    expect(page.status).toBe(409);
    expect(await page.text()).toContain("电商 SIMJD 未通过生产准入（无有效信任标识且未豁免），不拉取消息、不查询库存，也不推送订单。");

    expect(stockCalls()).toBe(before);
    expect(await c.orders.service.list({ supplier: SUPPLIER_CODE })).toMatchObject({ ok: true, value: [] });
    const cli = await c.orders.service.create(orderFile([{ sku }]), "user:test");
    expect(!cli.ok && cli.error.kind).toBe("gate_closed");
  }, 60_000);
});

describe("the production gate holds order pushes", () => {
  it("takes an order once certified, holds its push while the mark is suspended, and pushes it once the supplier re-certifies", async () => {
    const c = rig.gw.container;
    const first = await certify();
    expect(first.run.passed).toBe(true);
    const created = await c.orders.service.create(orderFile([{ sku }]), "user:test");
    if (!created.ok) throw created.error;
    const yggc = created.value.yggc_order;
    await c.conformance.suspend(SUPPLIER_CODE, "价格异常");

    const refused = await c.orders.service.push(yggc, "user:test").catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(GateClosedError);
    expect((refused as GateClosedError).reason).toBe("suspended");
    expect((refused as GateClosedError).message).toContain("suspended production trust mark");

    const scheduler = c.orders.scheduler({ intervalMs: 60_000 });
    expect(await scheduler.tick()).toBe(1);
    await scheduler.stop();
    const held = await c.orders.service.show(yggc);
    expect(held.ok && held.value).toMatchObject({ state: "created", pushAttempts: 0 });
    expect(held.ok && held.value.nextAttemptAt).toBeGreaterThan(c.clock());
    expect(rig.running.sim.orders.all().filter((o) => o.yggc_order === yggc)).toHaveLength(0);

    // The supplier certifies its sandbox again (here the same reference supplier), then the push goes out.
    const again = await certify();
    expect(again.run.passed).toBe(true);
    const pushed = await c.orders.service.push(yggc, "user:test");
    expect(pushed.ok && pushed.value.state).toBe("confirmed");
  }, 60_000);
});
