import nock from "nock";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { SignMode, formatBeijingTimestamp, serializeFailure, serializeSuccess, signResponse } from "../../src/contract/index.js";
import { MemoryCallRecorder } from "../../src/supplier/call-recorder.js";
import { type SupplierConnection, SupplierClient } from "../../src/supplier/supplier-client.js";

const BASE = "http://supplier.test";
const SECRET = "k3ySecret-For-Tests-0123456789abcdef";
const conn: SupplierConnection = {
  supplier: "acme",
  baseUrl: BASE,
  username: "mall",
  password: "Pa55w0rd",
  appSecret: SECRET,
  signMode: SignMode.HmacSha256,
  platformCode: "TJZFCG",
  timeoutMs: 2_000,
  qps: 1000,
};

type Reply = [number, string, Record<string, string>];
/** A correctly signed enveloped answer (§2.3). */
function signed(body: string): Reply {
  const timestamp = formatBeijingTimestamp(Date.now());
  return [200, body, { "Content-Type": "application/json;charset=UTF-8", "X-Sign-Timestamp": timestamp, "X-Sign": signResponse(SECRET, timestamp, body) }];
}
const ok = (result: unknown) => signed(serializeSuccess(result));
const refused = (code: 5005 | 5099, desc: string) => signed(serializeFailure({ code, desc }));
const tokenReply = (token = "tok_1", expiresIn = 43_200) =>
  ok({ access_token: token, expires_at: formatBeijingTimestamp(Date.now() + expiresIn * 1000), expires_in: expiresIn });
const price = (sku: string) => ({ sku, price: 10, mall_price: 12 });

type Form = Record<string, string>;
/** nock hands function matchers a form body already parsed. */
const form = (body: unknown): Form =>
  typeof body === "object" && body !== null ? ({ ...body } as Form) : Object.fromEntries(new URLSearchParams(String(body)));

function makeClient(overrides: Partial<SupplierConnection> = {}) {
  const recorder = new MemoryCallRecorder();
  const sleeps: number[] = [];
  const client = new SupplierClient({ ...conn, ...overrides }, { recorder, random: () => 0.5, sleep: async (ms) => void sleeps.push(ms) });
  return { client, recorder, sleeps };
}

describe("supplier client edge cases (nock)", () => {
  beforeAll(() => nock.disableNetConnect());
  afterEach(() => nock.cleanAll());
  afterAll(() => nock.enableNetConnect());

  it("retries a read on 503 with exponential backoff and equal jitter, recording each attempt", async () => {
    const scope = nock(BASE)
      .post("/api/auth2/access_token")
      .reply(() => tokenReply())
      .post("/api/product/prices")
      .reply(503, "<html>503</html>")
      .post("/api/product/prices")
      .reply(502, "<html>502</html>")
      .post("/api/product/prices")
      .reply(() => ok([price("1")]));
    const { client, recorder, sleeps } = makeClient();
    const answer = await client.prices(["1"]);
    expect(answer).toEqual({ ok: true, value: [price("1")] });
    // base 250 ms doubling; half fixed, half random (0.5 here).
    expect(sleeps).toEqual([188, 375]);
    expect(recorder.records.filter((r) => r.operation === "prices").map((r) => [r.attempt, r.outcome, r.httpStatus])).toEqual([
      [1, "http", 503],
      [2, "http", 502],
      [3, "ok", undefined],
    ]);
    expect(scope.isDone()).toBe(true);
    await client.close();
  });

  it("refuses a signed token answer with an empty access_token instead of sending calls without a token", async () => {
    const empty = ok({ access_token: "", expires_at: formatBeijingTimestamp(Date.now() + 3_600_000), expires_in: 3_600 });
    const scope = nock(BASE)
      .post("/api/auth2/access_token")
      .reply(() => empty);
    const { client } = makeClient({ retry: { token: { maxAttempts: 1 } } });
    const answer = await client.prices(["1"]);
    expect(answer.ok).toBe(false);
    if (!answer.ok) expect(answer.error).toMatchObject({ kind: "contract", operation: "token", field: "result.access_token" });
    expect(scope.isDone()).toBe(true);
    await client.close();
  });

  it("gives up after the read policy's attempts with a retryable http error", async () => {
    const scope = nock(BASE)
      .post("/api/auth2/access_token")
      .reply(() => tokenReply())
      .post("/api/product/images")
      .times(4)
      .reply(500, "oops");
    const { client } = makeClient();
    const answer = await client.images(["1"]);
    expect(answer.ok).toBe(false);
    if (!answer.ok) expect(answer.error).toMatchObject({ kind: "http", status: 500, retryable: true, attempts: 4, endpoint: "S-9 /api/product/images" });
    expect(scope.isDone()).toBe(true);
  });

  it("logs in again once on 5005 in the middle of a batch and finishes the batch", async () => {
    const skus = Array.from({ length: 150 }, (_, i) => String(1000 + i));
    const firstChunk = (body: unknown) => form(body).sku?.startsWith("1000,") === true;
    const tokens: string[] = [];
    const scope = nock(BASE)
      .post("/api/auth2/access_token")
      .reply(() => tokenReply("tok_old"))
      .post("/api/auth2/access_token")
      .reply(() => tokenReply("tok_new"))
      .post("/api/product/prices", firstChunk)
      .reply(() => ok(skus.slice(0, 100).map(price)))
      .post("/api/product/prices", (body) => !firstChunk(body))
      .reply(() => refused(5005, "token 过期: token_expired"))
      .post("/api/product/prices", (body) => !firstChunk(body) && (tokens.push(form(body).token ?? ""), true))
      .reply(() => ok(skus.slice(100).map(price)));
    const { client } = makeClient();
    const answer = await client.prices(skus);
    expect(answer.ok && answer.value.map((p) => p.sku)).toEqual(skus);
    expect(client.loginCount).toBe(2);
    expect(tokens).toEqual(["tok_new"]);
    expect(scope.isDone()).toBe(true);
  });

  it("does not log in a third time when the new token is refused too", async () => {
    nock(BASE)
      .post("/api/auth2/access_token")
      .times(2)
      .reply(() => tokenReply())
      .post("/api/product/shelf_states")
      .times(2)
      .reply(() => refused(5005, "token 过期: token_expired"));
    const { client } = makeClient();
    const answer = await client.shelfStates(["1"]);
    expect(answer.ok).toBe(false);
    if (!answer.ok) expect(answer.error).toMatchObject({ kind: "refused", code: 5005, tokenExpired: true });
    expect(client.loginCount).toBe(2);
  });

  it("shares one login among concurrent callers", async () => {
    const scope = nock(BASE)
      .post("/api/auth2/access_token")
      .delay(50)
      .reply(() => tokenReply())
      .post("/api/product/prices")
      .times(5)
      .reply(() => ok([price("1")]));
    const { client } = makeClient();
    const answers = await Promise.all(Array.from({ length: 5 }, () => client.prices(["1"])));
    expect(answers.every((a) => a.ok)).toBe(true);
    expect(client.loginCount).toBe(1);
    expect(scope.isDone()).toBe(true);
  });

  it("renews the token shortly before expires_at", async () => {
    let clock = Date.now();
    nock(BASE)
      .post("/api/auth2/access_token")
      .reply(() => tokenReply("tok_a", 3600))
      .post("/api/auth2/access_token")
      .reply(() => tokenReply("tok_b", 3600))
      .post("/api/product/prices")
      .times(3)
      .reply(() => ok([]));
    const client = new SupplierClient(conn, { now: () => clock });
    await client.prices(["1"]);
    clock += 3000_000; // 50 min: outside the refresh margin (6 min for a 1 h token)
    await client.prices(["1"]);
    expect(client.loginCount).toBe(1);
    clock += 300_000; // 55 min: inside it
    await client.prices(["1"]);
    expect(client.loginCount).toBe(2);
    expect(await client.token()).toEqual({ ok: true, value: "tok_b" });
  });

  it("takes the token when the call is sent: a call that waited past its token's life goes out with a new one, never with the dead one", async () => {
    let clock = Date.now();
    const sent: string[] = [];
    const scope = nock(BASE)
      .post("/api/auth2/access_token")
      .reply(() => tokenReply("tok_a", 3600))
      .post("/api/auth2/access_token")
      .reply(() => tokenReply("tok_b", 3600))
      .post("/api/product/prices", (b) => (sent.push(form(b).token ?? ""), true))
      .times(2)
      .delay(100)
      .reply(() => ok([price("1")]));
    const client = new SupplierClient({ ...conn, maxConcurrent: 1 }, { now: () => clock });
    const first = client.prices(["1"]);
    await new Promise((resolve) => setTimeout(resolve, 20)); // tok_a held, the first call on the wire
    const second = client.prices(["2"]); // waits for the only slot holding a live tok_a
    clock += 3600_000; // the hour passes while it waits
    expect([(await first).ok, (await second).ok]).toEqual([true, true]);
    expect(sent).toEqual(["tok_a", "tok_b"]);
    expect(client.loginCount).toBe(2);
    expect(scope.isDone()).toBe(true);
  });

  it("sends a call refused 5005 for tokens renewed meanwhile again with the current token, as often as its attempts allow, without a backoff", async () => {
    let clock = Date.now();
    let resent: () => void = () => undefined;
    const onWireWithTokB = new Promise<void>((resolve) => (resent = resolve));
    const is = (token: string, sku: string) => (b: unknown) => form(b).token === token && form(b).sku === sku;
    const expired = () => refused(5005, "token 过期: token_expired");
    const scope = nock(BASE)
      .post("/api/auth2/access_token")
      .reply(() => tokenReply("tok_a", 3600))
      .post("/api/auth2/access_token")
      .reply(() => tokenReply("tok_b", 3600))
      .post("/api/auth2/access_token")
      .reply(() => tokenReply("tok_c", 3600))
      .post("/api/product/prices", is("tok_a", "1"))
      .delay(150)
      .reply(expired)
      .post("/api/product/prices", is("tok_b", "2"))
      .reply(() => ok([price("2")]))
      .post("/api/product/prices", (b) => is("tok_b", "1")(b) && (resent(), true))
      .delay(150)
      .reply(expired)
      .post("/api/product/prices", is("tok_c", "3"))
      .reply(() => ok([price("3")]))
      .post("/api/product/prices", is("tok_c", "1"))
      .reply(() => ok([price("1")]));
    const recorder = new MemoryCallRecorder();
    const sleeps: number[] = [];
    const client = new SupplierClient(conn, { now: () => clock, recorder, sleep: async (ms) => void sleeps.push(ms) });
    const slow = client.prices(["1"]); // on the wire with tok_a
    await new Promise((resolve) => setTimeout(resolve, 30));
    clock += 3590_000; // past the refresh point: the next call renews
    expect((await client.prices(["2"])).ok).toBe(true);
    await onWireWithTokB; // the slow call, refused for tok_a, went again with tok_b
    clock += 3590_000;
    expect((await client.prices(["3"])).ok).toBe(true);
    expect((await slow).ok).toBe(true);
    expect(client.loginCount).toBe(3);
    expect(sleeps).toEqual([]);
    expect(recorder.records.filter((r) => r.operation === "prices" && r.subject === "1").map((r) => [r.attempt, r.outcome])).toEqual([
      [1, "refused"],
      [2, "refused"],
      [3, "ok"],
    ]);
    expect(scope.isDone()).toBe(true);
  });

  it("treats malformed JSON as a failed, retried call", async () => {
    const truncated = serializeSuccess([price("1")]).slice(0, 20);
    const scope = nock(BASE)
      .post("/api/auth2/access_token")
      .reply(() => tokenReply())
      .post("/api/product/prices")
      .reply(() => signed(truncated))
      .post("/api/product/prices")
      .reply(() => ok([price("1")]));
    const { client, recorder } = makeClient();
    const answer = await client.prices(["1"]);
    expect(answer.ok).toBe(true);
    expect(recorder.records.find((r) => r.operation === "prices" && r.attempt === 1)).toMatchObject({ outcome: "contract", field: "(body)" });
    expect(scope.isDone()).toBe(true);
  });

  it("never uses data under a wrong or missing response signature", async () => {
    const body = serializeSuccess([price("1")]);
    nock(BASE)
      .post("/api/auth2/access_token")
      .reply(() => tokenReply())
      .post("/api/product/prices")
      .reply(200, body, { "X-Sign-Timestamp": formatBeijingTimestamp(Date.now()), "X-Sign": "0".repeat(64) })
      .post("/api/product/prices")
      .reply(200, body);
    const { client } = makeClient({ retry: { read: { maxAttempts: 2 } } });
    const answer = await client.prices(["1"]);
    expect(answer.ok).toBe(false);
    if (!answer.ok) expect(answer.error).toMatchObject({ kind: "contract", field: "X-Sign", attempts: 2 });
  });

  it("logs in again on an unsigned 5005 (a supplier cannot sign for a token it no longer knows), yet never uses unsigned data", async () => {
    const tokens: string[] = [];
    const scope = nock(BASE)
      .post("/api/auth2/access_token")
      .reply(() => tokenReply("tok_old"))
      .post("/api/auth2/access_token")
      .reply(() => tokenReply("tok_new"))
      .post("/api/product/prices")
      .reply(200, serializeFailure({ code: 5005, desc: "token 过期: token_expired" }))
      .post("/api/product/prices", (body) => (tokens.push(form(body).token ?? ""), true))
      .reply(() => ok([price("1")]));
    const { client } = makeClient();
    const answer = await client.prices(["1"]);
    expect(answer.ok && answer.value).toEqual([price("1")]);
    expect(client.loginCount).toBe(2);
    expect(tokens).toEqual(["tok_new"]);
    expect(scope.isDone()).toBe(true);
  });

  it("reads a refusal whose desc is longer than the 200 characters a sender may use", async () => {
    const desc = `库存不足: ${"100001,".repeat(40)}`;
    nock(BASE)
      .post("/api/auth2/access_token")
      .reply(() => tokenReply())
      .post("/api/product/prices")
      .reply(() => refused(5099, desc));
    const { client } = makeClient();
    const answer = await client.prices(["1"]);
    expect(answer.ok).toBe(false);
    if (!answer.ok) expect(answer.error).toMatchObject({ kind: "refused", code: 5099 });
  });

  it("names the endpoint and field of a schema violation, and does not retry it", async () => {
    const scope = nock(BASE)
      .post("/api/auth2/access_token")
      .reply(() => tokenReply())
      .post("/api/product/prices")
      .reply(() => ok([price("1"), { sku: "2", price: "cheap", mall_price: 3 }]));
    const { client } = makeClient();
    const answer = await client.prices(["1", "2"]);
    expect(answer.ok).toBe(false);
    if (answer.ok) return;
    expect(answer.error).toMatchObject({ kind: "contract", field: "result.1.price", retryable: false, attempts: 1 });
    expect(answer.error.message).toContain("S-10 /api/product/prices");
    expect(scope.isDone()).toBe(true);
  });

  it("times out a hanging call and retries it", async () => {
    const scope = nock(BASE)
      .post("/api/auth2/access_token")
      .reply(() => tokenReply())
      .post("/api/product/stocks")
      .delay(1_000)
      .reply(() => ok([]))
      .post("/api/product/stocks")
      .reply(() => ok([{ sku: "1", area: "120000_120100_120101", num: 5, desc: "有货" }]));
    const { client, recorder } = makeClient({ timeoutMs: 200 });
    const answer = await client.stocks(["1"], "120000_120100_120101");
    expect(answer.ok && answer.value[0]?.num).toBe(5);
    expect(recorder.records.find((r) => r.operation === "stocks" && r.attempt === 1)?.outcome).toBe("timeout");
    expect(scope.isDone()).toBe(true);
  });

  it("classifies a reset connection as a retryable network error", async () => {
    nock(BASE)
      .post("/api/auth2/access_token")
      .reply(() => tokenReply())
      .post("/api/product/images")
      .replyWithError(Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }));
    const { client } = makeClient({ retry: { read: { maxAttempts: 1 } } });
    const answer = await client.images(["1"]);
    expect(!answer.ok && answer.error.kind).toBe("network");
    expect(!answer.ok && answer.error.retryable).toBe(true);
  });

  it("resends a timed-out submit with the same yggc_order and a fresh nonce, never on a refusal", async () => {
    const bodies: Form[] = [];
    const capture = (body: unknown) => (bodies.push(form(body)), true);
    const result = { mall_order_id: "S1", yggc_order: "YG9", sku: [{ sku: "1", num: 1, price: 10 }], orderPrice: 10, freight: 0 };
    const scope = nock(BASE)
      .post("/api/auth2/access_token")
      .reply(() => tokenReply())
      .post("/api/order/submit", capture)
      .reply(502, "bad gateway")
      .post("/api/order/submit", capture)
      .reply(() => ok(result))
      .post("/api/order/submit", capture)
      .reply(() => refused(5099, "库存不足: 1"));
    const { client } = makeClient();
    const order = {
      yggc_order: "YG9",
      sku: [{ sku: "1", num: 1, priceFen: 1000 }],
      name: "张三",
      province: "120000",
      city: "120100",
      county: "120101",
      address: "和平区",
      mobile: "13800000000",
      invoice_title: "某局",
      invoice_type: 1 as const,
      invoice_org_code: "X1",
      payment: 2 as const,
      orderPriceFen: 1000,
      freightFen: 0,
    };
    expect(await client.submitOrder(order)).toMatchObject({ ok: true, value: { mall_order_id: "S1" } });
    expect(bodies.map((b) => b.yggc_order)).toEqual(["YG9", "YG9"]);
    expect(bodies[0]?.nonce).not.toBe(bodies[1]?.nonce);
    expect(JSON.parse(bodies[0]?.sku ?? "")).toEqual([{ sku: "1", num: 1, price: 10 }]);
    const refusedAnswer = await client.submitOrder({ ...order, yggc_order: "YG10" });
    expect(!refusedAnswer.ok && refusedAnswer.error).toMatchObject({ kind: "refused", retryable: false, attempts: 1 });
    expect(bodies).toHaveLength(3);
    expect(scope.isDone()).toBe(true);
  });

  it("refuses to send a request that breaks the contract", async () => {
    const { client } = makeClient();
    const answer = await client.stocks(["1"], "120000");
    expect(!answer.ok && answer.error).toMatchObject({ kind: "contract", field: "request", retryable: false });
  });

  it("accepts unsigned answers in yggc-md5 mode and sends only the token on business calls", async () => {
    const bodies: Form[] = [];
    nock(BASE)
      .post("/api/auth2/access_token", (b) => (bodies.push(form(b)), true))
      .reply(200, serializeSuccess({ access_token: "t", expires_at: formatBeijingTimestamp(Date.now() + 3600_000), expires_in: 3600 }))
      .post("/api/product/prices", (b) => (bodies.push(form(b)), true))
      .reply(200, serializeSuccess([price("1")]));
    const { client } = makeClient({ signMode: SignMode.YggcMd5 });
    expect((await client.prices(["1"])).ok).toBe(true);
    expect(bodies[0]?.sign).toMatch(/^[0-9a-f]{32}$/);
    expect(Object.keys(bodies[1] ?? {}).sort()).toEqual(["platformCode", "sku", "token"]);
  });

  it("reads a message pool page message by message; a page that is no array is a malformed answer, not retried", async () => {
    const scope = nock(BASE)
      .post("/api/auth2/access_token")
      .reply(() => tokenReply())
      .post("/api/product/getMessagePool")
      .reply(() =>
        ok([
          { id: "1", type: 2, time: "2026-11-26 10:00:00", result: { skuId: "1", price: null } },
          { id: "2", type: 2, time: "2026-11-26 10:00:00", result: { skuId: "2", price: 10 } },
        ]),
      )
      .post("/api/product/getMessagePool")
      .reply(() => ok("not a page"));
    const { client } = makeClient();
    const page = await client.readMessagePool(2);
    expect(page.ok && page.value.messages.map((m) => m.id)).toEqual(["2"]);
    expect(page.ok && page.value.unparseable).toEqual([
      {
        id: "1",
        raw: { id: "1", type: 2, time: "2026-11-26 10:00:00", result: { skuId: "1", price: null } },
        reason: { field: "result.price", rule: "expected number" },
      },
    ]);
    const bad = await client.readMessagePool(2);
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error).toMatchObject({ kind: "contract", field: "result", failureClass: "malformed", attempts: 1 });
    expect(scope.isDone()).toBe(true);
  });
});
