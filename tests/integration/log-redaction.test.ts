import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLogger } from "../../src/lib/logger.js";
import { type TestGateway, nextCreditCode, startTestGateway, testClock } from "../helpers/harness.js";
import { MallCaller, post } from "../helpers/mall-caller.js";

const lines: string[] = [];
const sink = new Writable({
  write(chunk: Buffer, _enc, done) {
    lines.push(...chunk.toString().split("\n").filter(Boolean));
    done();
  },
});
let gw: TestGateway;

beforeAll(async () => {
  gw = await startTestGateway({}, testClock(), createLogger({ level: "trace", destination: sink }));
});
afterAll(() => gw.close());

describe("logs (pino, redacted)", () => {
  it("carry a request id per request and never a password, appSecret, token or signature", async () => {
    const { credentials } = await gw.container.supplierAccounts.create({
      code: "LOGS",
      name: "日志测试",
      creditCode: await nextCreditCode(),
      domains: ["a.example.cn"],
    });
    const caller = new MallCaller(gw.url, { ...credentials, signMode: "hmac-sha256" }, gw.clock.now);
    await caller.login();
    const fields = caller.signedFields({ pageSize: "3" });
    const ok = await post(`${gw.url}/brands`, fields);
    expect(ok.body.success).toBe(true);
    await post(`${gw.url}/brands`, fields); // replay: refused and logged
    await post(`${gw.url}/gyssc/token`, caller.tokenFields({ password: "wrong-password-123" }));

    const text = lines.join("\n");
    expect(lines.some((l) => l.includes('"event":"http.request"') && l.includes('"requestId":"req_'))).toBe(true);
    expect(lines.some((l) => l.includes('"event":"mall.call.refused"'))).toBe(true);
    for (const secret of [credentials.password, credentials.appSecret, caller.token, String(fields.sign), "wrong-password-123"]) {
      expect(secret.length).toBeGreaterThan(8);
      expect(text).not.toContain(secret);
    }
  });

  it("redact the S-11 personal-data fields wherever a log line carries them", () => {
    const captured: string[] = [];
    const log = createLogger({
      level: "info",
      destination: new Writable({
        write(chunk: Buffer, _enc, done) {
          captured.push(chunk.toString());
          done();
        },
      }),
    });
    const personal = {
      mobile: "13811112222",
      zip: "300041",
      invoice_bank_code: "6222000011112222",
      invoice_receipt_address: "收票路9号",
      contactPhone: "022-66667777",
    };
    log.info({ event: "test", ...personal, order: personal }, "test");
    const text = captured.join("");
    for (const value of Object.values(personal)) expect(text).not.toContain(value);
  });
});
