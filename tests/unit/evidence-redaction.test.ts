import { describe, expect, it } from "vitest";
import { isSecretName, redactText } from "../../src/conformance/evidence-redaction.js";
import { redactFields, responseEvidence } from "../../src/conformance/kit-context.js";

const TOKEN = "tk_5f2a9c0d7e";

describe("evidence redaction", () => {
  it("names every spelling of a credential field and no ordinary one", () => {
    for (const name of [
      "access_token",
      "accessToken",
      "token",
      "refresh_token",
      "password",
      "appSecret",
      "app_secret",
      "secret",
      "sign",
      "X-Sign",
      "client_secret",
    ])
      expect(isSecretName(name), name).toBe(true);
    for (const name of ["sku", "username", "timestamp", "nonce", "expires_in", "token_expired", "desc", "design"]) expect(isSecretName(name), name).toBe(false);
  });

  it("redacts secrets at any depth of pretty-printed JSON and keeps the rest byte for byte", () => {
    const text = `{\n  "success": true,\n  "result": {\n    "access_token" : "${TOKEN}",\n    "auth": [ { "appSecret": "s3cr\\"et", "sign": 12345 } ],\n    "big": 12345678901234567890123,\n    "price": 1.10\n  }\n}`;
    const out = redactText(text);
    expect(out).not.toContain(TOKEN);
    expect(out).not.toContain("s3cr");
    expect(out).not.toContain("12345,");
    expect(out).toBe(
      `{\n  "success": true,\n  "result": {\n    "access_token" : "***",\n    "auth": [ { "appSecret": "***", "sign": "***" } ],\n    "big": 12345678901234567890123,\n    "price": 1.10\n  }\n}`,
    );
  });

  it("redacts a secret whose value is an object or array as a whole", () => {
    expect(redactText('{"password":{"old":"a1","new":"b2"},"token":["x","y"],"n":1}')).toBe('{"password":"***","token":"***","n":1}');
  });

  it("falls back to text rules for what is not JSON: form bodies, messages, cut answers, escaped JSON", () => {
    expect(redactText(`username=u1&password=p%40ss&token=${TOKEN}&sku=1`)).toBe("username=u1&password=***&token=***&sku=1");
    expect(redactText(`{"success":true,"result":{"access_token": "${TOKEN}", "expi`)).not.toContain(TOKEN);
    expect(redactText(`5099 bad token: ${TOKEN}`)).toBe("5099 bad token: ***");
    expect(redactText(`{"desc":"echo {\\"access_token\\":\\"${TOKEN}\\"}"}`)).toBe('{"desc":"echo {\\"access_token\\":\\"***\\"}"}');
  });

  it("survives an answer nested far deeper than the stack", () => {
    const deep = `${"[".repeat(200_000)}${"]".repeat(200_000)}`;
    expect(redactText(deep)).toBe(deep);
  });

  it("redacts request fields by name and inside JSON values, and answers before cutting them", () => {
    expect(redactFields({ token: TOKEN, App_Secret: "s", sku: `[{"sku":"1","token":"${TOKEN}"}]` })).toEqual({
      token: "***",
      App_Secret: "***",
      sku: '[{"sku":"1","token":"***"}]',
    });
    const body = Buffer.from(JSON.stringify({ result: { access_token: TOKEN, pad: "x".repeat(5_000) } }, null, 2));
    const ev = responseEvidence({ status: 200, headers: {}, body }, null);
    expect("body" in ev && ev.body).toContain('"access_token": "***"');
    expect(JSON.stringify(ev)).not.toContain(TOKEN);
  });

  it("redacts a secret whose answer was cut off before its closing quote", () => {
    const cut = `{"code":200,"result":{"access_token":"${TOKEN}`.slice(0, -2);
    const text = redactText(cut);
    expect(text).not.toContain(TOKEN.slice(0, -2));
    expect(text).toContain('"access_token":"***"');
  });
});
