import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { MessageType, SignMode, messageTypes, yuanToFen } from "../../src/contract/index.js";
import { MemoryCallRecorder } from "../../src/supplier/call-recorder.js";
import { type SupplierConnection, SupplierClient } from "../../src/supplier/supplier-client.js";
import { supplierErrorKinds } from "../../src/supplier/supplier-error.js";
import { faultKinds } from "../../src/simulator/simulator-knobs.js";
import type { RunningSimulator } from "../../src/simulator/simulator-server.js";
import { TEST_ACCOUNT, TEST_PLATFORM_CODE, launchSimulator } from "../helpers/simulator-harness.js";

const FAST_RETRY = { baseDelayMs: 5, maxDelayMs: 20 };

function connect(running: RunningSimulator, overrides: Partial<SupplierConnection> = {}): SupplierConnection {
  return {
    supplier: "sim",
    baseUrl: running.url,
    ...TEST_ACCOUNT,
    signMode: SignMode.HmacSha256,
    platformCode: TEST_PLATFORM_CODE,
    timeoutMs: 300,
    qps: 1000,
    retry: { read: FAST_RETRY, delete: FAST_RETRY, submit: FAST_RETRY, confirm: FAST_RETRY, token: FAST_RETRY },
    ...overrides,
  };
}

describe("supplier client under injected faults", () => {
  let running: RunningSimulator;
  let client: SupplierClient;
  let recorder: MemoryCallRecorder;

  beforeAll(async () => {
    running = await launchSimulator({ products: 120, knobs: { timeoutHoldMs: 5_000 } });
  });
  afterEach(async () => {
    running.sim.knobs.reset();
    await client.close();
  });
  afterAll(() => running.close());
  const fresh = (overrides: Partial<SupplierConnection> = {}) => {
    recorder = new MemoryCallRecorder();
    client = new SupplierClient(connect(running, overrides), { recorder });
    return client;
  };

  it.each([
    ["http-5xx", "http"],
    ["timeout", "timeout"],
    ["drop-after-work", "network"],
    ["malformed-json", "contract"],
    ["bad-signature", "contract"],
    ["token-expiry", "refused"],
  ] as const)("recovers from %s, recording the failed attempt as %s", async (fault, outcome) => {
    fresh();
    expect((await client.token()).ok).toBe(true);
    running.sim.knobs.inject("prices", fault);
    const answer = await client.prices(["100001", "100002"]);
    if (!answer.ok) throw answer.error;
    const truth = running.sim.products.get("100001");
    expect(yuanToFen(answer.value[0]?.price ?? -1)).toBe(truth?.priceFen);
    const attempts = recorder.records.filter((r) => r.operation === "prices");
    expect(attempts.map((r) => r.outcome)).toEqual([outcome, "ok"]);
    expect(client.loginCount).toBe(fault === "token-expiry" ? 2 : 1);
  });

  it("makes one order when the connection drops after the submit was done", async () => {
    fresh();
    const p = running.sim.products.all().find((x) => x.inPool && x.shelfState === 1 && x.stock !== null && x.stock.base > 3);
    if (!p) throw new Error("no orderable product");
    running.sim.knobs.inject("submitOrder", "drop-after-work");
    const answer = await client.submitOrder({
      yggc_order: "YG-DROP-1",
      sku: [{ sku: p.sku, num: 1, priceFen: p.priceFen }],
      name: "王五",
      province: "120000",
      city: "120100",
      county: "120101",
      address: "和平区",
      mobile: "13900000000",
      invoice_title: "某局",
      invoice_type: 3,
      invoice_org_code: "X1",
      payment: 2,
      orderPriceFen: p.priceFen,
      freightFen: 0,
    });
    if (!answer.ok) throw answer.error;
    expect(running.sim.orders.all().filter((o) => o.yggc_order === "YG-DROP-1")).toHaveLength(1);
    expect(running.sim.orders.byYggcOrder("YG-DROP-1")).toMatchObject({ mall_order_id: answer.value.mall_order_id, submitCount: 2 });
  });

  it("stays under the supplier's QPS limit with its own limiter", async () => {
    running.sim.knobs.apply({ endpoints: { shelfStates: { qps: 20 } } });
    fresh({ qps: 15 });
    const answers = await Promise.all(Array.from({ length: 12 }, () => client.shelfStates(["100001"])));
    expect(answers.every((a) => a.ok)).toBe(true);
    expect(recorder.records.filter((r) => r.operation === "shelfStates").every((r) => r.outcome === "ok")).toBe(true);
  });

  it("retries a 请求过于频繁 refusal when it overruns the supplier's QPS", async () => {
    running.sim.knobs.apply({ endpoints: { images: { qps: 2 } } });
    fresh({ retry: { read: { maxAttempts: 8, baseDelayMs: 200, maxDelayMs: 1_000 } } });
    const answers = await Promise.all(Array.from({ length: 4 }, () => client.images(["100001"])));
    expect(answers.every((a) => a.ok)).toBe(true);
    expect(recorder.records.some((r) => r.operation === "images" && r.outcome === "refused" && r.errorCode === 5099)).toBe(true);
  });

  it("measures the supplier's latency", async () => {
    running.sim.knobs.apply({ endpoints: { detail: { latencyMs: 120 } } });
    fresh();
    expect((await client.detail("100001")).ok).toBe(true);
    expect(recorder.records.find((r) => r.operation === "detail")?.durationMs).toBeGreaterThanOrEqual(110);
  });

  it("drains a churning pool with every fault switched on, without crashing or mis-reporting", async () => {
    const faults = Object.fromEntries(faultKinds.map((k) => [k, 0.04]));
    running.sim.knobs.apply({ endpoints: { "*": { faults } }, duplicateMessages: 0.3, timeoutHoldMs: 5_000 });
    running.sim.generator.tick(200);
    fresh({ retry: { read: { ...FAST_RETRY, maxAttempts: 6 }, delete: { ...FAST_RETRY, maxAttempts: 6 }, token: { ...FAST_RETRY, maxAttempts: 6 } } });

    const failures: string[] = [];
    for (let round = 0; round < 60 && running.sim.pool.pending() > 0; round++) {
      for (const type of messageTypes) {
        const page = await client.getMessagePool(type);
        if (!page.ok) {
          failures.push(page.error.kind);
          continue;
        }
        const skus = [...new Set(page.value.map((m) => m.result.skuId))];
        const prices = await client.prices(skus);
        if (!prices.ok) {
          failures.push(prices.error.kind);
          continue; // §6: a message whose effect failed is not deleted
        }
        const deleted = await client.delMessagePool(page.value.map((m) => m.id));
        if (!deleted.ok) failures.push(deleted.error.kind);
      }
    }
    expect(running.sim.pool.pending()).toBe(0);
    for (const kind of failures) expect(supplierErrorKinds).toContain(kind);
    const outcomes = new Set(recorder.records.map((r) => r.outcome));
    expect(outcomes.has("ok")).toBe(true);
    expect([...outcomes].filter((o) => o !== "ok").length).toBeGreaterThanOrEqual(3);

    // With the faults off, what the client reads is exactly the truth.
    running.sim.knobs.reset();
    const truth = running.sim.exportTruth().products.filter((p) => p.inPool);
    const prices = await client.prices(truth.map((p) => p.sku));
    if (!prices.ok) throw prices.error;
    const bySku = new Map(truth.map((p) => [p.sku, p.priceFen]));
    for (const item of prices.value) expect(yuanToFen(item.price)).toBe(bySku.get(item.sku));
    expect(prices.value).toHaveLength(truth.length);
  });

  it("publishes each duplicated message twice, with two ids", () => {
    running.sim.knobs.apply({ duplicateMessages: 1 });
    const p = running.sim.products.all().find((x) => x.inPool);
    if (!p) throw new Error("no product");
    const change = running.sim.changes.apply("price", p);
    expect(change?.messages).toHaveLength(2);
    expect(change?.messages[0]?.result).toEqual(change?.messages[1]?.result);
    expect(change?.messages[0]?.id).not.toBe(change?.messages[1]?.id);
    expect(change?.messages[0]?.type).toBe(MessageType.Price);
  });
});

describe("the full docking run with every fault mode switched on", () => {
  it("gets a token, reads every product call, drains and deletes, submits and confirms — results equal the truth", async () => {
    const running = await launchSimulator({ products: 80, seed: 99 });
    const faults = Object.fromEntries(faultKinds.map((k) => [k, 0.04]));
    running.sim.knobs.apply({ endpoints: { "*": { faults } }, duplicateMessages: 0.2, timeoutHoldMs: 5_000 });
    const patient = { ...FAST_RETRY, maxAttempts: 10 };
    const recorder = new MemoryCallRecorder();
    const client = new SupplierClient(connect(running, { retry: { read: patient, delete: patient, submit: patient, confirm: patient, token: patient } }), {
      recorder,
    });
    try {
      const skus: string[] = [];
      for (let page = 0; page < 20 && running.sim.pool.pending(MessageType.PoolChange) > 0; page++) {
        const messages = await client.getMessagePool(MessageType.PoolChange);
        if (!messages.ok) throw messages.error;
        skus.push(...messages.value.map((m) => m.result.skuId));
        const deleted = await client.delMessagePool(messages.value.map((m) => m.id));
        if (!deleted.ok) throw deleted.error;
      }
      expect(new Set(skus).size).toBe(80);
      const truth = new Map(running.sim.exportTruth().products.map((p) => [p.sku, p]));
      for (const sku of skus.slice(0, 5)) {
        const detail = await client.detail(sku);
        if (!detail.ok) throw detail.error;
        expect(detail.value.name).toBe(truth.get(sku)?.detail.name);
        const attributes = await client.attributes(sku);
        if (!attributes.ok) throw attributes.error;
        expect(attributes.value).toEqual(truth.get(sku)?.attributes);
      }
      const reads = await Promise.all([
        client.promises(skus),
        client.shelfStates(skus),
        client.images(skus),
        client.prices(skus),
        client.stocks(skus, "120000_120100_120101"),
      ]);
      for (const answer of reads) {
        if (!answer.ok) throw answer.error;
        expect(answer.value).toHaveLength(80);
      }
      const p = running.sim.products.all().find((x) => x.inPool && x.shelfState === 1 && x.stock !== null && x.stock.base > 3);
      if (!p) throw new Error("no orderable product");
      const submitted = await client.submitOrder({
        yggc_order: "YG-CHAOS",
        sku: [{ sku: p.sku, num: 1, priceFen: p.priceFen }],
        name: "王五",
        province: "120000",
        city: "120100",
        county: "120101",
        address: "和平区",
        mobile: "13900000000",
        invoice_title: "某局",
        invoice_type: 1,
        invoice_org_code: "X1",
        payment: 2,
        orderPriceFen: p.priceFen,
        freightFen: 0,
      });
      if (!submitted.ok) throw submitted.error;
      const confirmed = await client.confirmOrder(submitted.value.mall_order_id);
      if (!confirmed.ok) throw confirmed.error;
      expect(running.sim.orders.all().filter((o) => o.yggc_order === "YG-CHAOS")).toMatchObject([{ state: "confirmed" }]);
      // Faults did happen, and each was reported as what it was.
      const failed = recorder.records.filter((r) => r.outcome !== "ok");
      expect(failed.length).toBeGreaterThan(0);
      for (const r of failed) expect(supplierErrorKinds).toContain(r.outcome);
    } finally {
      await client.close();
      await running.close();
    }
  });
});
