import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TokenResult, formatBeijingTimestamp, signRequest } from "../../src/contract/index.js";
import { type TestGateway, nextCreditCode, startTestGateway } from "../helpers/harness.js";
import { type Credentials, MallCaller, post, verifyAnswerSignature } from "../helpers/mall-caller.js";

let gw: TestGateway;

async function newSupplier(signMode: Credentials["signMode"] = "hmac-sha256"): Promise<{ code: string; credentials: Credentials }> {
  const code = `S${Math.random().toString(36).slice(2, 8).toUpperCase()}`;
  const { credentials } = await gw.container.supplierAccounts.create({
    code,
    name: `测试电商${code}`,
    creditCode: await nextCreditCode(),
    domains: ["item.example-shop.cn"],
    signMode,
  });
  return { code, credentials: { ...credentials, signMode } };
}

beforeAll(async () => {
  gw = await startTestGateway({ TOKEN_TTL_SECONDS: "600" });
});
afterAll(() => gw.close());

describe("M-1 token (§2.1)", () => {
  it("issues a token whose result matches the contract, with a signed answer", async () => {
    const { credentials } = await newSupplier();
    const caller = new MallCaller(gw.url, credentials, gw.clock.now);
    const answer = await caller.login();
    expect(answer.status).toBe(200);
    expect(answer.body.success).toBe(true);
    const result = TokenResult.parse(answer.body.result);
    expect(result.expires_in).toBe(600);
    expect(result.expires_at).toBe(formatBeijingTimestamp(gw.clock.now() + 600_000));
    expect(verifyAnswerSignature(answer, credentials.appSecret)).toBe(true);
  });

  it("answers 5006 naming the missing fields", async () => {
    const answer = await post(`${gw.url}/gyssc/token`, { username: "nobody" });
    expect(answer.body).toMatchObject({ success: false, code: 5006 });
    expect(answer.body.desc).toContain("password");
  });

  it("answers 5001 for an unparsable timestamp and for one outside ±300 s", async () => {
    const { credentials } = await newSupplier();
    const caller = new MallCaller(gw.url, credentials, gw.clock.now);
    const bad = await post(`${gw.url}/gyssc/token`, caller.tokenFields({ timestamp: "2022/10/20 09:30:00" }));
    expect(bad.body).toMatchObject({ success: false, code: 5001 });
    const stale = await post(`${gw.url}/gyssc/token`, caller.tokenFields({ timestamp: formatBeijingTimestamp(gw.clock.now() - 301_000) }));
    expect(stale.body).toMatchObject({ success: false, code: 5001 });
    const future = await post(`${gw.url}/gyssc/token`, caller.tokenFields({ timestamp: formatBeijingTimestamp(gw.clock.now() + 301_000) }));
    expect(future.body).toMatchObject({ success: false, code: 5001 });
    const edge = await post(`${gw.url}/gyssc/token`, caller.tokenFields({ timestamp: formatBeijingTimestamp(gw.clock.now() - 299_000) }));
    expect(edge.body.success).toBe(true);
  });

  it("answers 5002 for an unknown username and for a disabled account", async () => {
    const { code, credentials } = await newSupplier();
    const caller = new MallCaller(gw.url, { ...credentials, username: "no-such-user" }, gw.clock.now);
    expect((await caller.login()).body).toMatchObject({ success: false, code: 5002 });
    await gw.container.supplierAccounts.setEnabled(code, false);
    expect((await new MallCaller(gw.url, credentials, gw.clock.now).login()).body).toMatchObject({ code: 5002 });
  });

  it("answers 5003 for a wrong password and 5004 for a wrong sign", async () => {
    const { credentials } = await newSupplier();
    const wrongPassword = new MallCaller(gw.url, { ...credentials, password: "not-the-password" }, gw.clock.now);
    expect((await wrongPassword.login()).body).toMatchObject({ success: false, code: 5003 });
    const wrongSecret = new MallCaller(gw.url, { ...credentials, appSecret: "another-secret-0123456789abcdef0123" }, gw.clock.now);
    expect((await wrongSecret.login()).body).toMatchObject({ success: false, code: 5004 });
  });

  it("answers 5004 when a nonce is replayed", async () => {
    const { credentials } = await newSupplier();
    const caller = new MallCaller(gw.url, credentials, gw.clock.now);
    const fields = caller.tokenFields();
    expect((await post(`${gw.url}/gyssc/token`, fields)).body.success).toBe(true);
    const replay = await post(`${gw.url}/gyssc/token`, fields);
    expect(replay.body).toMatchObject({ success: false, code: 5004 });
    expect(replay.body.desc).toContain("nonce");
  });

  it("locks the account after 5 wrong passwords in 15 minutes, answering 5003 with the lock", async () => {
    const { credentials } = await newSupplier();
    const wrong = new MallCaller(gw.url, { ...credentials, password: "wrong" }, gw.clock.now);
    for (let i = 0; i < 4; i++) expect((await wrong.login()).body.desc).not.toContain("锁定");
    const fifth = await wrong.login();
    expect(fifth.body).toMatchObject({ code: 5003 });
    expect(fifth.body.desc).toContain("锁定");
    const right = new MallCaller(gw.url, credentials, gw.clock.now);
    const whileLocked = await right.login();
    expect(whileLocked.body).toMatchObject({ success: false, code: 5003 });
    expect(whileLocked.body.desc).toContain("锁定");
    gw.clock.advance(15 * 60_000 + 1_000);
    expect((await right.login()).body.success).toBe(true);
  });

  it("accepts JSON bodies as well as form bodies", async () => {
    const { credentials } = await newSupplier();
    const caller = new MallCaller(gw.url, credentials, gw.clock.now, "json");
    expect((await caller.login()).body.success).toBe(true);
  });

  it("logs in legacy yggc-md5 accounts without a nonce, and refuses a wrong md5", async () => {
    const { credentials } = await newSupplier("yggc-md5");
    const caller = new MallCaller(gw.url, credentials, gw.clock.now);
    const answer = await caller.login();
    expect(answer.body.success).toBe(true);
    expect(answer.headers.get("x-sign")).toBeNull();
    const bad = await post(`${gw.url}/gyssc/token`, caller.tokenFields({ sign: "0".repeat(32) }));
    expect(bad.body).toMatchObject({ success: false, code: 5004 });
  });

  it("requires a nonce from hmac-sha256 accounts", async () => {
    const { credentials } = await newSupplier();
    const timestamp = formatBeijingTimestamp(gw.clock.now());
    const fields = { username: credentials.username, password: credentials.password, timestamp };
    const answer = await post(`${gw.url}/gyssc/token`, { ...fields, sign: signRequest(credentials.appSecret, fields) });
    expect(answer.body).toMatchObject({ success: false, code: 5006 });
    expect(answer.body.desc).toContain("nonce");
  });
});

describe("business-call auth (§2.2)", () => {
  const INFO = "/gyssc/platform/info";

  it("answers 5006 without a token and 5005 with token_expired for an unknown one", async () => {
    const noToken = await post(`${gw.url}${INFO}`, {});
    expect(noToken.body).toMatchObject({ success: false, code: 5006 });
    const forged = await post(`${gw.url}${INFO}`, { token: "eyJhbGciOiJIUzI1NiJ9.e30.forged" });
    expect(forged.body).toMatchObject({ success: false, code: 5005 });
    expect(forged.body.desc).toContain("token_expired");
  });

  it("expires tokens after TOKEN_TTL_SECONDS", async () => {
    const { credentials } = await newSupplier();
    const caller = new MallCaller(gw.url, credentials, gw.clock.now);
    await caller.login();
    expect((await caller.call(INFO)).body.success).toBe(true);
    gw.clock.advance(601_000);
    const expired = await caller.call(INFO);
    expect(expired.body).toMatchObject({ success: false, code: 5005 });
    expect(expired.body.desc).toContain("token_expired");
  });

  it("revokes every token when the password or appSecret rotates, or the account is disabled", async () => {
    const { code, credentials } = await newSupplier();
    const first = new MallCaller(gw.url, credentials, gw.clock.now);
    const second = new MallCaller(gw.url, credentials, gw.clock.now);
    await first.login();
    await second.login();
    expect((await first.call(INFO)).body.success).toBe(true);

    const rotated = await gw.container.supplierAccounts.rotate(code, { password: true, appSecret: false });
    for (const caller of [first, second]) expect((await caller.call(INFO)).body).toMatchObject({ code: 5005 });
    const fresh = new MallCaller(gw.url, { ...credentials, password: rotated.password ?? "" }, gw.clock.now);
    await fresh.login();
    expect((await fresh.call(INFO)).body.success).toBe(true);

    const secret = await gw.container.supplierAccounts.rotate(code, { password: false, appSecret: true });
    expect((await fresh.call(INFO)).body).toMatchObject({ code: 5005 });
    const again = new MallCaller(gw.url, { ...credentials, password: rotated.password ?? "", appSecret: secret.appSecret ?? "" }, gw.clock.now);
    await again.login();
    expect((await again.call(INFO)).body.success).toBe(true);

    await gw.container.supplierAccounts.setEnabled(code, false);
    expect((await again.call(INFO)).body).toMatchObject({ code: 5005 });
  });

  it("checks signing fields in order: missing 5006, timestamp 5001, sign 5004, replay 5004", async () => {
    const { credentials } = await newSupplier();
    const caller = new MallCaller(gw.url, credentials, gw.clock.now);
    await caller.login();
    const missing = await post(`${gw.url}${INFO}`, { token: caller.token });
    expect(missing.body).toMatchObject({ code: 5006 });
    expect(missing.body.desc).toContain("nonce");
    const stale = await caller.call(INFO, {}, { timestamp: formatBeijingTimestamp(gw.clock.now() - 400_000) });
    expect(stale.body).toMatchObject({ code: 5001 });
    const tampered = { ...caller.signedFields({}), platformCode: "TAMPERED" };
    expect((await post(`${gw.url}${INFO}`, tampered)).body).toMatchObject({ code: 5004 });
    const fields = caller.signedFields({});
    expect((await post(`${gw.url}${INFO}`, fields)).body.success).toBe(true);
    const replay = await post(`${gw.url}${INFO}`, fields);
    expect(replay.body).toMatchObject({ code: 5004 });
    expect(replay.body.desc).toContain("nonce");
  });

  it("signs failure answers once the account is known, so suppliers can trust them", async () => {
    const { credentials } = await newSupplier();
    const caller = new MallCaller(gw.url, credentials, gw.clock.now);
    await caller.login();
    const answer = await caller.call("/catalogsParam", {});
    expect(answer.body).toMatchObject({ code: 5008 });
    expect(verifyAnswerSignature(answer, credentials.appSecret)).toBe(true);
  });

  it("signs the 5005 of an expired token and of a disabled account, so a supplier can trust it (§2.3)", async () => {
    const { code, credentials } = await newSupplier();
    const caller = new MallCaller(gw.url, credentials, gw.clock.now);
    await caller.login();
    gw.clock.advance(601_000);
    const expired = await caller.call(INFO);
    expect(expired.body).toMatchObject({ code: 5005 });
    expect(verifyAnswerSignature(expired, credentials.appSecret)).toBe(true);
    const again = new MallCaller(gw.url, credentials, gw.clock.now);
    await again.login();
    await gw.container.supplierAccounts.setEnabled(code, false);
    const disabled = await again.call(INFO);
    expect(disabled.body).toMatchObject({ code: 5005 });
    expect(verifyAnswerSignature(disabled, credentials.appSecret)).toBe(true);
    const forged = await post(`${gw.url}${INFO}`, { token: "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.AAAA" });
    expect(forged.headers.get("x-sign")).toBeNull();
  });

  it("signs token-call failures of an hmac account only when the caller's own signature checks out", async () => {
    const { credentials } = await newSupplier();
    const stale = await post(`${gw.url}/gyssc/token`, new MallCaller(gw.url, credentials, gw.clock.now).tokenFields({ timestamp: "2022-10-20 09:30:00" }));
    expect(stale.body).toMatchObject({ code: 5001 });
    expect(verifyAnswerSignature(stale, credentials.appSecret)).toBe(true);
    const missing = await post(`${gw.url}/gyssc/token`, { username: credentials.username });
    expect(missing.body).toMatchObject({ code: 5006 });
    expect(missing.headers.get("x-sign")).toBeNull();
  });

  it("accepts signing fields sent as JSON numbers, signed as their text", async () => {
    const { credentials } = await newSupplier();
    const caller = new MallCaller(gw.url, credentials, gw.clock.now, "json");
    await caller.login();
    const fields: Record<string, unknown> = { token: caller.token, timestamp: formatBeijingTimestamp(gw.clock.now()), nonce: 1234567890123456, pageSize: 2 };
    const answer = await post(`${gw.url}/brands`, { ...fields, sign: signRequest(credentials.appSecret, fields) }, "json");
    expect(answer.body.success).toBe(true);
  });

  it("lets yggc-md5 accounts call with the token alone", async () => {
    const { credentials } = await newSupplier("yggc-md5");
    const caller = new MallCaller(gw.url, credentials, gw.clock.now);
    await caller.login();
    const answer = await post(`${gw.url}${INFO}`, { token: caller.token });
    expect(answer.body.success).toBe(true);
  });
});
