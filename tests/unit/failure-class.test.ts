import { describe, expect, it } from "vitest";
import { type FailureFacts, classifyFailure } from "../../src/supplier/failure-class.js";

const refused = (code: number, desc: string, signed = true): FailureFacts => ({ kind: "refused", code, message: `${code} ${desc}`, signed });

describe("supplier failure classification", () => {
  it.each([
    ["系统异常，请稍后再试", "transient"],
    ["服务超时", "transient"],
    ["请求超时", "transient"],
    ["请求过于频繁", "transient"],
    ["系统繁忙", "transient"],
    ["Service busy, rate limit exceeded", "transient"],
    ["商品已下架", "business"],
    ["库存不足", "business"],
    ["价格不一致", "business"],
    ["商品不存在", "business"],
  ] as const)("a signed 5099 %s is %s", (desc, expected) => {
    expect(classifyFailure(refused(5099, desc))).toBe(expected);
  });

  it("takes no decision on an unsigned refusal", () => {
    expect(classifyFailure(refused(5099, "商品已下架", false))).toBe("transient");
    expect(classifyFailure(refused(5099, "商品不存在", false))).toBe("transient");
  });

  it("logs in again on 5005 or token_expired, signed or not", () => {
    expect(classifyFailure(refused(5005, "token 过期", false))).toBe("relogin");
    expect(classifyFailure({ kind: "refused", code: 5099, message: "x token_expired", tokenExpired: true })).toBe("relogin");
  });

  it.each([5004, 5006, 5013, 5002, 5003, 5001])("treats %i as our own configuration, not the order's fault", (code) => {
    expect(classifyFailure(refused(code, "x"))).toBe("configuration");
  });

  it("reads transport failures as transient and a proxy's 4xx as configuration", () => {
    expect(classifyFailure({ kind: "timeout", message: "no answer" })).toBe("transient");
    expect(classifyFailure({ kind: "network", message: "ECONNRESET" })).toBe("transient");
    expect(classifyFailure({ kind: "http", status: 502, message: "HTTP 502" })).toBe("transient");
    expect(classifyFailure({ kind: "http", status: 429, message: "HTTP 429" })).toBe("transient");
    expect(classifyFailure({ kind: "http", status: 404, message: "HTTP 404" })).toBe("configuration");
  });

  it("separates a cut or unsigned answer (transient) from a signed answer of the wrong shape (malformed)", () => {
    expect(classifyFailure({ kind: "contract", field: "X-Sign", message: "missing" })).toBe("transient");
    expect(classifyFailure({ kind: "contract", field: "(body)", message: "not JSON" })).toBe("transient");
    expect(classifyFailure({ kind: "contract", field: "result.0.price", message: "bad" })).toBe("malformed");
    expect(classifyFailure({ kind: "contract", field: "request", message: "bad" })).toBe("configuration");
  });
});
