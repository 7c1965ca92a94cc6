import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatBeijingTimestamp, signRequest } from "../../src/contract/index.js";
import { newNonce } from "../../src/lib/ids.js";
import { type TestGateway, nextCreditCode, startTestGateway } from "../helpers/harness.js";
import { type Credentials, MallCaller, post, verifyAnswerSignature } from "../helpers/mall-caller.js";

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(() => gw.close());

let serial = 0;
async function newSupplier(): Promise<Credentials> {
  serial += 1;
  const { credentials } = await gw.container.supplierAccounts.create({
    code: `ORC${serial}`,
    name: `签名电商${serial}`,
    creditCode: await nextCreditCode(),
    domains: ["item.oracle-shop.cn"],
  });
  return { ...credentials, signMode: "hmac-sha256" };
}

const TOKEN = "/gyssc/token";
const garbage = "<script>x</script>";

describe("the mall side is no signing oracle (§2.3)", () => {
  it("someone holding the password but not the appSecret cannot turn a signed 5001 into a token", async () => {
    const { username, password, appSecret } = await newSupplier();
    // The forged token call: its canonical string is built to equal "X-Sign-Timestamp\n<5001 body>"
    // when the 5001 desc echoes the timestamp it was sent, so that answer's X-Sign would sign it.
    const nonce = newNonce();
    const ts = formatBeijingTimestamp(gw.clock.now());
    const tail = `&nonce=${nonce}&password=${password}&timestamp=${ts}&username=${username}&zz=x`;
    const probe = await post(`${gw.url}${TOKEN}`, { username, password, timestamp: `v${tail}`, nonce: newNonce(), sign: "0".repeat(64) });
    expect(probe.body).toMatchObject({ success: false, code: 5001 });
    expect(probe.headers.get("x-sign")).toBeNull();
    expect(probe.text).not.toContain(tail);

    const signedAt = probe.headers.get("x-sign-timestamp") ?? ts;
    const cut = probe.text.indexOf("timestamp=");
    const forged: Record<string, string> = {
      [`${signedAt}\n${probe.text.slice(0, cut === -1 ? 0 : cut + "timestamp".length)}`]: "v",
      nonce,
      password,
      timestamp: ts,
      username,
      zz: 'x","code":5001}',
      sign: probe.headers.get("x-sign") ?? "",
    };
    const answer = await post(`${gw.url}${TOKEN}`, forged, "json");
    expect(answer.body.success).toBe(false);
    // The same call signed with the real appSecret is a valid token call: the refusal is the signature's.
    const { sign: _forgedSign, ...unsigned } = forged;
    const honest = await post(`${gw.url}${TOKEN}`, { ...unsigned, nonce: newNonce(), sign: "" }, "json");
    expect(honest.body).toMatchObject({ code: 5006 });
    const rightlySigned = { ...unsigned, nonce: newNonce() };
    expect((await post(`${gw.url}${TOKEN}`, { ...rightlySigned, sign: signRequest(appSecret, rightlySigned) }, "json")).body.success).toBe(true);
  });

  it("leaves M-1 failures unsigned unless the caller's signature checks out, and never echoes input in desc", async () => {
    const credentials = await newSupplier();
    const caller = new MallCaller(gw.url, credentials, gw.clock.now);
    const cases: Array<[number, Record<string, unknown>]> = [
      [5006, { username: credentials.username, password: garbage, timestamp: garbage }],
      [5001, { ...caller.tokenFields({ timestamp: garbage }), sign: "0".repeat(64) }],
      [5003, { ...caller.tokenFields({ password: garbage }), sign: "0".repeat(64) }],
      [5004, { ...caller.tokenFields(), sign: "0".repeat(64) }],
    ];
    for (const [code, fields] of cases) {
      const answer = await post(`${gw.url}${TOKEN}`, fields);
      expect(answer.body, String(code)).toMatchObject({ success: false, code });
      expect(answer.headers.get("x-sign"), String(code)).toBeNull();
      expect(answer.text).not.toContain("script");
    }
    const unknown = await post(`${gw.url}${TOKEN}`, new MallCaller(gw.url, { ...credentials, username: "who_is_this_user" }, gw.clock.now).tokenFields());
    expect(unknown.body).toMatchObject({ code: 5002 });
    expect(unknown.text).not.toContain("who_is_this_user");

    // A caller who signs rightly still gets its failures signed (§2.3).
    const wrongPassword = await post(`${gw.url}${TOKEN}`, caller.tokenFields({ password: "not-the-password" }));
    expect(wrongPassword.body).toMatchObject({ code: 5003 });
    expect(verifyAnswerSignature(wrongPassword, credentials.appSecret)).toBe(true);
  });

  it("leaves business-call failures unsigned for a token holder whose signature does not check out", async () => {
    const credentials = await newSupplier();
    const caller = new MallCaller(gw.url, credentials, gw.clock.now);
    await caller.login();
    const badTime = await post(`${gw.url}/brands`, { token: caller.token, timestamp: garbage, nonce: newNonce(), sign: "0".repeat(64) });
    expect(badTime.body).toMatchObject({ success: false, code: 5001 });
    expect(badTime.headers.get("x-sign")).toBeNull();
    expect(badTime.text).not.toContain("script");
    const missing = await post(`${gw.url}/brands`, { token: caller.token });
    expect(missing.body).toMatchObject({ code: 5006 });
    expect(missing.headers.get("x-sign")).toBeNull();

    const signedStale = await caller.call("/brands", {}, { timestamp: formatBeijingTimestamp(gw.clock.now() - 3_600_000) });
    expect(signedStale.body).toMatchObject({ code: 5001 });
    expect(verifyAnswerSignature(signedStale, credentials.appSecret)).toBe(true);

    const unknownArea = await caller.call("/getAreas", { parentCode: "999999" });
    expect(unknownArea.body.success).toBe(false);
    expect(unknownArea.text).not.toContain("999999");
    const unknownCatalog = await caller.call("/catalogsParam", { interfaceCode: "NO-SUCH-CODE" });
    expect(unknownCatalog.body).toMatchObject({ code: 5007 });
    expect(unknownCatalog.text).not.toContain("NO-SUCH-CODE");
  });
});
