import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MessageType, SignMode, supplierOperations, yuanToFen } from "../../src/contract/index.js";
import { MemoryCallRecorder } from "../../src/supplier/call-recorder.js";
import { type OrderSubmission, SupplierClient } from "../../src/supplier/supplier-client.js";
import type { RunningSimulator } from "../../src/simulator/simulator-server.js";
import { TEST_ACCOUNT, TEST_PLATFORM_CODE, launchSimulator } from "../helpers/simulator-harness.js";

const AREA = "120000_120100_120101";

function order(yggcOrder: string, lines: Array<{ sku: string; num: number; priceFen: number }>): OrderSubmission {
  const goodsFen = lines.reduce((sum, l) => sum + l.priceFen * l.num, 0);
  return {
    yggc_order: yggcOrder,
    sku: lines,
    name: "张三",
    province: "120000",
    city: "120100",
    county: "120101",
    address: "天津市和平区南京路1号",
    mobile: "13800000000",
    invoice_title: "天津市政府采购中心",
    invoice_type: 1,
    invoice_org_code: "12120000MB0000000X",
    payment: 2,
    orderPriceFen: goodsFen + 1000,
    freightFen: 1000,
  };
}

describe.each([
  { signMode: SignMode.HmacSha256, bodyFormat: "form" },
  { signMode: SignMode.HmacSha256, bodyFormat: "json" },
  { signMode: SignMode.YggcMd5, bodyFormat: "form" },
  { signMode: SignMode.YggcMd5, bodyFormat: "json" },
] as const)("supplier client against the simulator ($signMode, $bodyFormat)", ({ signMode, bodyFormat }) => {
  let running: RunningSimulator;
  let client: SupplierClient;
  const recorder = new MemoryCallRecorder();

  beforeAll(async () => {
    running = await launchSimulator({ signMode, products: 150 });
    client = new SupplierClient(
      {
        supplier: "sim",
        baseUrl: running.url,
        ...TEST_ACCOUNT,
        signMode,
        platformCode: TEST_PLATFORM_CODE,
        bodyFormat,
        qps: 1000,
      },
      { recorder },
    );
  });
  afterAll(async () => {
    await client.close();
    await running.close();
  });

  it("drains the initial pool (type 6) page by page and deletes what it read", async () => {
    const seen: string[] = [];
    for (let page = 0; page < 10; page++) {
      const answer = await client.getMessagePool(MessageType.PoolChange);
      if (!answer.ok) throw answer.error;
      if (answer.value.length === 0) break;
      expect(answer.value.length).toBeLessThanOrEqual(100);
      seen.push(...answer.value.map((m) => m.id));
      const deleted = await client.delMessagePool(answer.value.map((m) => m.id));
      expect(deleted).toEqual({ ok: true, value: true });
    }
    expect(seen).toHaveLength(150);
    expect(running.sim.pool.pending(MessageType.PoolChange)).toBe(0);
    expect(client.loginCount).toBe(1);
  });

  it("reads every product endpoint, matching the simulator's truth", async () => {
    const truth = running.sim.exportTruth().products;
    const skus = truth.map((p) => p.sku);
    const first = truth[0];
    if (!first) throw new Error("no products");

    const detail = await client.detail(first.sku);
    expect(detail.ok && detail.value.name).toBe(first.detail.name);
    const attributes = await client.attributes(first.sku);
    expect(attributes.ok && attributes.value).toEqual(first.attributes);

    const [promises, shelf, images, prices, stocks] = await Promise.all([
      client.promises(skus),
      client.shelfStates(skus),
      client.images(skus),
      client.prices([...skus, "no-such-sku"]),
      client.stocks(skus, AREA),
    ]);
    for (const answer of [promises, shelf, images, prices, stocks]) {
      if (!answer.ok) throw answer.error;
      expect(answer.value).toHaveLength(150);
    }
    if (!prices.ok || !shelf.ok) return;
    const bySku = new Map(truth.map((p) => [p.sku, p]));
    for (const item of prices.value) expect(yuanToFen(item.price)).toBe(bySku.get(item.sku)?.priceFen);
    for (const item of shelf.value) expect(item.state).toBe(bySku.get(item.sku)?.shelfState);
    // 150 skus: two chunks per batch call (§3).
    expect(recorder.records.filter((r) => r.operation === "prices" && r.outcome === "ok").map((r) => r.batchSize)).toEqual([100, 51]);
  });

  it("submits an order idempotently and confirms it twice", async () => {
    const product = running.sim.products.all().find((p) => p.inPool && p.shelfState === 1 && p.stock !== null && p.stock.base > 5 && p.invalid.length === 0);
    if (!product) throw new Error("no orderable product");
    const submission = order(`YG${signMode.length}0001`, [{ sku: product.sku, num: 2, priceFen: product.priceFen }]);
    const first = await client.submitOrder(submission);
    if (!first.ok) throw first.error;
    const again = await client.submitOrder(submission);
    expect(again.ok && again.value.mall_order_id).toBe(first.value.mall_order_id);
    expect(first.value.orderPrice).toBe((product.priceFen * 2) / 100);
    expect(running.sim.orders.all()).toHaveLength(1);

    expect(await client.confirmOrder(first.value.mall_order_id)).toEqual({ ok: true, value: true });
    expect(await client.confirmOrder(first.value.mall_order_id)).toEqual({ ok: true, value: true });
    expect(running.sim.orders.get(first.value.mall_order_id)?.state).toBe("confirmed");
  });

  it("reports a refused order as a value with the supplier's reason", async () => {
    const product = running.sim.products.all().find((p) => p.inPool && p.shelfState === 1);
    if (!product) throw new Error("no product");
    const answer = await client.submitOrder(order("YG-PRICE-1", [{ sku: product.sku, num: 1, priceFen: product.priceFen + 1 }]));
    expect(answer.ok).toBe(false);
    if (answer.ok) return;
    expect(answer.error).toMatchObject({ kind: "refused", code: 5099, retryable: false, operation: "submitOrder" });
    expect(answer.error.message).toContain("价格不一致");
  });

  it("records every call without secrets", () => {
    const text = JSON.stringify(recorder.records);
    expect(recorder.records.length).toBeGreaterThan(10);
    expect(text).not.toContain(TEST_ACCOUNT.password);
    expect(text).not.toContain(TEST_ACCOUNT.appSecret);
    expect(new Set(recorder.records.map((r) => r.endpoint))).toContain(`S-1 ${supplierOperations.token.path}`);
  });
});
