import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { z } from "zod";
import {
  FailureEnvelope,
  SIGN_HEADER,
  SIGN_TIMESTAMP_HEADER,
  SignMode,
  type SupplierOperationName,
  formatBeijingTimestamp,
  signResponse,
  supplierOperations,
} from "../../src/contract/index.js";
import type { RunningSimulator } from "../../src/simulator/simulator-server.js";
import { TEST_ACCOUNT, callFields, launchSimulator, post, tokenFields, type WireAnswer } from "../helpers/simulator-harness.js";

const HMAC = SignMode.HmacSha256;
const AREA = "120000_120100_120101";

/** The answer's failure code, or 0 for success; asserts the envelope shape and the signature. */
function codeOf(answer: WireAnswer): number {
  expect(answer.text).not.toMatch(/[\r\n]/);
  const timestamp = answer.headers.get(SIGN_TIMESTAMP_HEADER);
  expect(answer.headers.get(SIGN_HEADER)).toBe(signResponse(TEST_ACCOUNT.appSecret, timestamp ?? "", answer.text));
  const failure = FailureEnvelope.safeParse(answer.json);
  return failure.success ? failure.data.code : 0;
}

function resultOf<S extends z.ZodType>(answer: WireAnswer, schema: S): z.output<S> {
  expect(answer.status).toBe(200);
  const envelope = answer.json as { success?: unknown; result?: unknown } | null;
  expect(envelope?.success).toBe(true);
  const parsed = schema.safeParse(envelope?.result);
  if (!parsed.success) throw new Error(`${answer.text.slice(0, 300)}: ${parsed.error.message}`);
  return parsed.data;
}

describe("simulator contract (hmac-sha256)", () => {
  let sim: RunningSimulator;
  let clockMs = Date.now();
  let token = "";
  const url = (name: SupplierOperationName) => sim.url + supplierOperations[name].path;
  const call = (name: SupplierOperationName, fields: Record<string, string>, format: "form" | "json" = "form") =>
    post(url(name), callFields(HMAC, token, fields, clockMs), format);

  beforeAll(async () => {
    sim = await launchSimulator({ products: 120, now: () => clockMs, tokenTtlSeconds: 3600 });
    const answer = await post(url("token"), tokenFields(HMAC, {}, clockMs));
    token = resultOf(answer, supplierOperations.token.result).access_token;
  });
  afterAll(() => sim.close());

  describe("S-1 token", () => {
    it("issues a token with expires_at and expires_in, signed", async () => {
      const answer = await post(url("token"), tokenFields(HMAC, {}, clockMs));
      expect(codeOf(answer)).toBe(0);
      const result = resultOf(answer, supplierOperations.token.result);
      expect(result.expires_in).toBe(3600);
      expect(result.expires_at).toBe(formatBeijingTimestamp(clockMs + 3600_000));
      expect(result.access_token).not.toBe(token);
    });

    it.each([
      ["a missing nonce", { nonce: "" }, 5006],
      ["a missing password", { password: "" }, 5006],
      ["an unparsable timestamp", { timestamp: "2022/10/20 09:30" }, 5001],
      ["a timestamp 301 s old", { timestamp: formatBeijingTimestamp(Date.now() - 301_000) }, 5001],
      ["an unknown username", { username: "nobody" }, 5002],
      ["a wrong sign", { sign: "0".repeat(64) }, 5004],
    ])("answers %s with %i", async (_label, overrides, code) => {
      const fields = tokenFields(HMAC, {}, clockMs);
      const changed = { ...fields, ...overrides };
      // Re-sign unless the test is about the sign itself.
      const sent = "sign" in overrides ? changed : tokenFields(HMAC, Object.fromEntries(Object.entries(changed).filter(([k]) => k !== "sign")), clockMs);
      const answer = await post(url("token"), Object.fromEntries(Object.entries(sent).filter(([, v]) => v !== "")));
      expect(codeOf(answer)).toBe(code);
    });

    it("checks in the contract's order: missing before timestamp before username before password before sign", async () => {
      const stale = formatBeijingTimestamp(clockMs - 3600_000);
      expect(codeOf(await post(url("token"), { username: "nobody", password: "x", timestamp: stale, sign: "x" }))).toBe(5006);
      expect(codeOf(await post(url("token"), { username: "nobody", password: "x", timestamp: stale, nonce: "a".repeat(16), sign: "x" }))).toBe(5001);
      const now = formatBeijingTimestamp(clockMs);
      expect(codeOf(await post(url("token"), { username: "nobody", password: "x", timestamp: now, nonce: "b".repeat(16), sign: "x" }))).toBe(5002);
    });

    it("refuses a replayed token request (same nonce) with 5004", async () => {
      const fields = tokenFields(HMAC, {}, clockMs);
      expect(codeOf(await post(url("token"), fields))).toBe(0);
      expect(codeOf(await post(url("token"), fields))).toBe(5004);
    });
  });

  const businessCalls: Array<[SupplierOperationName, Record<string, string>]> = [
    ["messagePool", { type: "2" }],
    ["messageDelete", { messageId: "999999" }],
    ["detail", { sku: "100001" }],
    ["attributes", { sku: "100001" }],
    ["promise", { sku: "100001" }],
    ["shelfStates", { sku: "100001" }],
    ["stocks", { sku: "100001", area: AREA }],
    ["images", { sku: "100001" }],
    ["prices", { sku: "100001" }],
    ["confirmOrder", { order_id: "404" }],
  ];

  describe.each(businessCalls)("common checks of %s", (name, fields) => {
    it("answers 5006 without a token", async () => {
      const { token: _t, ...rest } = callFields(HMAC, token, fields, clockMs);
      expect(codeOf(await post(url(name), rest))).toBe(5006);
    });
    it("answers 5005 token_expired for an unknown token", async () => {
      const answer = await post(url(name), callFields(HMAC, "not-a-token", fields, clockMs));
      expect(codeOf(answer)).toBe(5005);
      expect(answer.text).toContain("token_expired");
    });
    it("answers 5006 without nonce, 5001 for a stale timestamp, 5004 for a bad sign", async () => {
      const { nonce: _n, ...noNonce } = callFields(HMAC, token, fields, clockMs);
      expect(codeOf(await post(url(name), noNonce))).toBe(5006);
      expect(codeOf(await post(url(name), callFields(HMAC, token, fields, clockMs - 301_000)))).toBe(5001);
      expect(codeOf(await post(url(name), { ...callFields(HMAC, token, fields, clockMs), sign: "f".repeat(64) }))).toBe(5004);
    });
    it("answers 5004 to a replay of the same signed request", async () => {
      const signed = callFields(HMAC, token, fields, clockMs);
      expect(codeOf(await post(url(name), signed))).not.toBe(5004);
      expect(codeOf(await post(url(name), signed))).toBe(5004);
    });
    it("answers 5013 for an unknown platformCode and 5006 without one", async () => {
      expect(codeOf(await post(url(name), callFields(HMAC, token, { ...fields, platformCode: "OTHER" }, clockMs)))).toBe(5013);
      const withoutCode = callFields(HMAC, token, { ...fields, platformCode: "" }, clockMs);
      expect(codeOf(await post(url(name), withoutCode))).toBe(5006);
    });
    it("answers 405 with a 5099 envelope to GET", async () => {
      const res = await fetch(url(name));
      expect(res.status).toBe(405);
      expect(await res.json()).toMatchObject({ success: false, code: 5099 });
    });
  });

  describe("S-2 getMessagePool / S-3 delMessagePool", () => {
    it("answers 5006 without type and 5099 for a type outside 2/4/6/16", async () => {
      expect(codeOf(await call("messagePool", {}))).toBe(5006);
      expect(codeOf(await call("messagePool", { type: "3" }))).toBe(5099);
    });
    it("serves 100 oldest first and the next 100 after deleting, accepting the id alias", async () => {
      const first = resultOf(await call("messagePool", { type: "6" }), supplierOperations.messagePool.result);
      expect(first).toHaveLength(100);
      const ids = first.map((m) => Number(m.id));
      expect(ids).toEqual([...ids].sort((a, b) => a - b));
      expect(resultOf(await call("messagePool", { type: "6" }), supplierOperations.messagePool.result)[0]?.id).toBe(first[0]?.id);
      expect(resultOf(await call("messageDelete", { id: first.map((m) => m.id).join(",") }), supplierOperations.messageDelete.result)).toBe(true);
      // Deleting again succeeds (§3).
      expect(codeOf(await call("messageDelete", { messageId: first.map((m) => m.id).join(",") }))).toBe(0);
      const second = resultOf(await call("messagePool", { type: "6" }), supplierOperations.messagePool.result);
      expect(second).toHaveLength(20);
      expect(Number(second[0]?.id)).toBeGreaterThan(Math.max(...ids));
    });
    it("refuses more than 100 message ids", async () => {
      const answer = await call("messageDelete", { messageId: Array.from({ length: 101 }, (_, i) => String(i + 1)).join(",") });
      expect(codeOf(answer)).toBe(5099);
      expect(answer.text).toContain("messageId数量超过100");
    });
    it("publishes messages that agree with the truth after changes", async () => {
      const applied = sim.sim.generator.tick(30);
      expect(applied.length).toBe(30);
      for (const type of [2, 4, 16] as const) {
        const page = resultOf(await call("messagePool", { type: String(type) }), supplierOperations.messagePool.result);
        for (const message of page) {
          const product = sim.sim.products.get(message.result.skuId);
          expect(product).toBeDefined();
          if (message.type === 4 && product) {
            const latest = [...page].reverse().find((m) => m.result.skuId === product.sku);
            if (latest?.id === message.id) expect(message.result.state).toBe(product.shelfState === 1 ? 1 : 2);
          }
        }
      }
    });
  });

  describe("S-4 … S-10 product calls", () => {
    it("S-4 answers the detail and 5099 商品不存在 for an unknown sku", async () => {
      const detail = resultOf(await call("detail", { sku: "100001" }), supplierOperations.detail.result);
      expect(detail.url).toMatch(/^https:\/\/item\.sim-supplier\.cn\//);
      const unknown = await call("detail", { sku: "nope" });
      expect(codeOf(unknown)).toBe(5099);
      expect(unknown.text).toContain("商品不存在");
    });
    it("S-5 answers one row per value", async () => {
      const rows = resultOf(await call("attributes", { sku: "100002" }), supplierOperations.attributes.result);
      expect(rows.length).toBeGreaterThan(0);
      expect(rows).toEqual(sim.sim.products.get("100002")?.attributes);
    });
    it.each(["promise", "shelfStates", "images", "prices"] as const)("%s accepts the skus alias, omits unknown skus, refuses 101 skus", async (name) => {
      const ok = resultOf(await call(name, { skus: "100001,unknown,100002" }), supplierOperations[name].result);
      expect(ok.map((item) => item.sku)).toEqual(["100001", "100002"]);
      const tooMany = await call(name, { sku: Array.from({ length: 101 }, (_, i) => String(100001 + i)).join(",") });
      expect(codeOf(tooMany)).toBe(5099);
      expect(tooMany.text).toContain("sku数量超过100");
      expect(codeOf(await call(name, {}))).toBe(5006);
    });
    it("S-8 needs an existing area and answers per sku", async () => {
      expect(codeOf(await call("stocks", { sku: "100001" }))).toBe(5006);
      expect(codeOf(await call("stocks", { sku: "100001", area: "120000-120100" }))).toBe(5099);
      expect(codeOf(await call("stocks", { sku: "100001", area: "120000_120100_999999" }))).toBe(5099);
      const stock = resultOf(await call("stocks", { sku: "100001,100002", area: AREA, num: "1" }), supplierOperations.stocks.result);
      expect(stock).toHaveLength(2);
      expect(stock[0]?.area).toBe(AREA);
    });
    it("accepts JSON bodies as well as forms", async () => {
      const prices = resultOf(await call("prices", { sku: "100001" }, "json"), supplierOperations.prices.result);
      expect(prices[0]?.price).toBeLessThanOrEqual(prices[0]?.mall_price ?? 0);
    });
  });

  describe("S-11 submit / S-12 confirm", () => {
    const orderable = () => {
      const p = sim.sim.products.all().find((x) => x.inPool && x.shelfState === 1 && x.stock !== null && x.stock.base >= 3 && !x.stock.byProvince["120000"]);
      if (!p) throw new Error("no orderable product");
      return p;
    };
    const orderFields = (yggc: string, sku: string, num: number, priceFen: number, extra: Record<string, string> = {}) => ({
      yggc_order: yggc,
      sku: JSON.stringify([{ sku, num, price: priceFen / 100 }]),
      name: "李四",
      province: "120000",
      city: "120100",
      county: "120101",
      address: "和平区南京路1号",
      phone: "022-12345678",
      invoice_title: "天津市某局",
      invoice_type: "1",
      invoice_org_code: "12120000MB0000000X",
      payment: "2",
      order_price: String((priceFen * num + 500) / 100),
      freight: "5",
      ...extra,
    });

    it("reserves stock once per yggc_order and answers repeats with the same order", async () => {
      const p = orderable();
      const before = p.stock?.base ?? 0;
      const a = resultOf(await call("submitOrder", orderFields("YG-1", p.sku, 2, p.priceFen)), supplierOperations.submitOrder.result);
      const b = resultOf(await call("submitOrder", orderFields("YG-1", p.sku, 2, p.priceFen)), supplierOperations.submitOrder.result);
      expect(b.mall_order_id).toBe(a.mall_order_id);
      expect(a.freight).toBe(5);
      expect(p.stock?.byProvince["120000"]).toBe(before - 2);
      expect(sim.sim.orders.byYggcOrder("YG-1")?.submitCount).toBe(2);
    });
    it.each([
      ["价格不一致", (p: { priceFen: number }) => ({ priceFen: p.priceFen + 1 })],
      ["库存不足", () => ({ num: 100_000 })],
      ["订单金额不一致", () => ({ extra: { order_price: "1.00" } })],
    ])("refuses with 5099 %s", async (desc, change) => {
      const p = orderable();
      const c: { priceFen?: number; num?: number; extra?: Record<string, string> } = change(p);
      const answer = await call("submitOrder", orderFields(`YG-${desc}`, p.sku, c.num ?? 1, c.priceFen ?? p.priceFen, c.extra));
      expect(codeOf(answer)).toBe(5099);
      expect(answer.text).toContain(desc);
    });
    it("refuses an off-shelf sku with 已下架", async () => {
      const p = orderable();
      sim.sim.changes.apply("shelf-off", p);
      const answer = await call("submitOrder", orderFields("YG-OFF", p.sku, 1, p.priceFen));
      expect(answer.text).toContain("已下架");
      sim.sim.changes.apply("shelf-on", p);
    });
    it("answers 5006 without phone or mobile, and for a VAT invoice without its bank block", async () => {
      const p = orderable();
      expect(codeOf(await call("submitOrder", orderFields("YG-NOPHONE", p.sku, 1, p.priceFen, { phone: "" })))).toBe(5006);
      const vat = await call("submitOrder", orderFields("YG-VAT", p.sku, 1, p.priceFen, { invoice_type: "2" }));
      expect(codeOf(vat)).toBe(5006);
      expect(vat.text).toContain("invoice_bank");
    });
    it("confirms twice and answers 订单不存在 for an unknown order", async () => {
      const order = sim.sim.orders.byYggcOrder("YG-1");
      expect(order).toBeDefined();
      expect(codeOf(await call("confirmOrder", { order_id: order?.mall_order_id ?? "" }))).toBe(0);
      expect(codeOf(await call("confirmOrder", { order_id: order?.mall_order_id ?? "", pay_money: "10.5" }))).toBe(0);
      expect(sim.sim.orders.get(order?.mall_order_id ?? "")).toMatchObject({ state: "confirmed", confirmCount: 2 });
      const unknown = await call("confirmOrder", { order_id: "1" });
      expect(unknown.text).toContain("订单不存在");
    });
  });

  describe("transport", () => {
    it("answers malformed JSON with a 5099 envelope, not a stack trace", async () => {
      const res = await fetch(url("prices"), { method: "POST", headers: { "Content-Type": "application/json" }, body: '{"token":' });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ success: false, code: 5099 });
    });
    it("answers a body over 1 MiB with 413 and 5099", async () => {
      const res = await fetch(url("prices"), {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: `sku=${"1".repeat(1_100_000)}`,
      });
      expect(res.status).toBe(413);
      expect(await res.json()).toMatchObject({ success: false, code: 5099 });
    });
    it("answers 5005 once the token has expired", async () => {
      const saved = clockMs;
      clockMs += 3601_000;
      const answer = await call("prices", { sku: "100001" });
      expect(codeOf(answer)).toBe(5005);
      clockMs = saved;
    });
  });
});

describe("simulator contract (yggc-md5)", () => {
  let sim: RunningSimulator;
  beforeAll(async () => {
    sim = await launchSimulator({ signMode: SignMode.YggcMd5, products: 20 });
  });
  afterAll(() => sim.close());
  const tokenUrl = () => sim.url + supplierOperations.token.path;

  it("issues a token on the MD5 sign without a nonce, and business calls carry only the token", async () => {
    const answer = await post(tokenUrl(), tokenFields(SignMode.YggcMd5));
    expect(answer.headers.get(SIGN_HEADER)).toBeNull();
    const token = resultOf(answer, supplierOperations.token.result).access_token;
    const prices = await post(sim.url + supplierOperations.prices.path, callFields(SignMode.YggcMd5, token, { sku: "100001" }));
    expect(resultOf(prices, supplierOperations.prices.result)).toHaveLength(1);
  });
  it("answers 5004 for a wrong MD5 sign and 5003 for a wrong password", async () => {
    expect(FailureEnvelope.parse((await post(tokenUrl(), tokenFields(SignMode.YggcMd5, { sign: "0".repeat(32) }))).json).code).toBe(5004);
    const wrong = { ...tokenFields(SignMode.YggcMd5), password: "wrong" };
    expect(FailureEnvelope.parse((await post(tokenUrl(), wrong)).json).code).toBe(5003);
  });
  it("locks the account after 5 wrong passwords, even for the right one", async () => {
    for (let i = 0; i < 4; i++) await post(tokenUrl(), { ...tokenFields(SignMode.YggcMd5), password: "wrong" });
    const locked = await post(tokenUrl(), tokenFields(SignMode.YggcMd5));
    const failure = FailureEnvelope.parse(locked.json);
    expect(failure.code).toBe(5003);
    expect(failure.desc).toContain("锁定");
  });
});
