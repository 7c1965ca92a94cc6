import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TestGateway, nextCreditCode, startTestGateway } from "../helpers/harness.js";
import { MallCaller, post } from "../helpers/mall-caller.js";
import { runCliAsync } from "../helpers/run-cli.js";

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(() => gw.close());

const cliEnv = () => ({ DATABASE_URL: gw.config.DATABASE_URL, DATA_ENCRYPTION_KEY_FILE: gw.config.DATA_ENCRYPTION_KEY_FILE });

describe("changing an account's sign mode revokes its tokens", () => {
  it("an hmac token presented bare after `supplier sign-mode --mode yggc-md5` is answered 5005, not served", async () => {
    const { credentials } = await gw.container.supplierAccounts.create({
      code: "MODE1",
      name: "换签名电商",
      creditCode: await nextCreditCode(),
      domains: ["item.mode-shop.cn"],
    });
    const caller = new MallCaller(gw.url, { ...credentials, signMode: "hmac-sha256" }, gw.clock.now);
    expect((await caller.login()).body.success).toBe(true);
    expect((await caller.call("/gyssc/platform/info")).body.success).toBe(true);

    const switched = await runCliAsync(["supplier", "sign-mode", "--code", "MODE1", "--mode", "yggc-md5", "--json"], cliEnv());
    expect(switched.json).toMatchObject({ ok: true, supplier: { signMode: "yggc-md5", credentialsVersion: 2 } });

    // Under yggc-md5 a business call carries only the token: the old one must not be a bearer pass.
    const bare = await post(`${gw.url}/gyssc/platform/info`, { token: caller.token });
    expect(bare.body).toMatchObject({ success: false, code: 5005 });
    expect(String(bare.body.desc)).toContain("token_expired");

    const legacy = new MallCaller(gw.url, { ...credentials, signMode: "yggc-md5" }, gw.clock.now);
    expect((await legacy.login()).body.success).toBe(true);
    expect((await legacy.call("/gyssc/platform/info")).body.success).toBe(true);
  });

  it("setting the mode the account already has revokes nothing", async () => {
    const { credentials } = await gw.container.supplierAccounts.create({
      code: "MODE2",
      name: "同签名电商",
      creditCode: await nextCreditCode(),
      domains: ["item.mode-shop2.cn"],
    });
    const caller = new MallCaller(gw.url, { ...credentials, signMode: "hmac-sha256" }, gw.clock.now);
    await caller.login();
    expect((await gw.container.supplierAccounts.setSignMode("MODE2", "hmac-sha256")).credentialsVersion).toBe(1);
    expect((await caller.call("/gyssc/platform/info")).body.success).toBe(true);
  });
});
