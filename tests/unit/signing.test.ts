import { describe, expect, it } from "vitest";
import { canonicalString, signRequest, signResponse, signaturesEqual, yggcMd5Sign } from "../../src/contract/index.js";

// §2.4 test vectors, verbatim from the docking contract.
const SECRET = "k3ySecret-For-Tests-0123456789abcdef";

describe("§2.4 signing vectors", () => {
  const tokenFields = { username: "jd_tj", password: "Pa55w0rd", timestamp: "2022-10-20 09:30:00", nonce: "a1b2c3d4e5f60718" };

  it("builds the canonical string of the token call", () => {
    expect(canonicalString(tokenFields)).toBe("nonce=a1b2c3d4e5f60718&password=Pa55w0rd&timestamp=2022-10-20 09:30:00&username=jd_tj");
  });

  it("signs the token call with HMAC-SHA256", () => {
    expect(signRequest(SECRET, tokenFields)).toBe("e30d86b85ae8c0e9aad44256f7bd16cd59c3190cba5f110b1afeee2c6865adcb");
  });

  it("signs a business call", () => {
    const fields = { token: "tok_abc", timestamp: "2022-10-20 09:31:00", nonce: "0f1e2d3c4b5a6978", sku: "100001,100002", platformCode: "TJZFCG" };
    expect(signRequest(SECRET, fields)).toBe("a6a44b4e3d131b9af6d36615fb9fa68f6e7c86dd4e7b100ab7280ff425301688");
  });

  it("signs a response body", () => {
    const body = '{"success":true,"result":[{"sku":"100001","price":4999,"mall_price":5299}]}';
    expect(signResponse(SECRET, "2022-10-20 09:31:01", body)).toBe("c5c39f3fab8ff97d9115c904167f96e4e0e9f7ae47ede754f2f5751ebf07b5b0");
  });

  it("computes the legacy yggc-md5 token signature", () => {
    expect(yggcMd5Sign("tjzfcg_demo", "Pa55w0rd", "2022-10-20 09:30:00")).toBe("63181a11328f5dc862c10aa5bf8d730c");
  });
});

describe("canonical string", () => {
  it("drops sign and empty values", () => {
    expect(canonicalString({ b: "2", a: "1", sign: "x", c: "", d: undefined })).toBe("a=1&b=2");
  });

  it("sorts by byte order, so upper case sorts before lower case", () => {
    expect(canonicalString({ platformCode: "P", page: "1", Zeta: "z" })).toBe("Zeta=z&page=1&platformCode=P");
  });

  it("sorts by UTF-8 bytes, not by JS string order, beyond the BMP", () => {
    // U+FFFD is EF BF BD in UTF-8 and sorts before U+1F600 (F0 …), though its UTF-16 unit is larger.
    expect(canonicalString({ "😀": "b", "\uFFFD": "a" })).toBe("\uFFFD=a&😀=b");
  });

  it("signs numbers as their text, so JSON and form bodies sign alike", () => {
    expect(canonicalString({ type: 2 })).toBe(canonicalString({ type: "2" }));
  });

  it("keeps values raw, not URL-encoded", () => {
    expect(canonicalString({ name: "联想 a&b" })).toBe("name=联想 a&b");
  });
});

describe("signature comparison", () => {
  it("accepts equal signatures regardless of hex case and refuses others", () => {
    const sig = signRequest(SECRET, { a: "1" });
    expect(signaturesEqual(sig, sig.toUpperCase())).toBe(true);
    expect(signaturesEqual(sig, sig.slice(0, -1) + (sig.endsWith("0") ? "1" : "0"))).toBe(false);
    expect(signaturesEqual(sig, "short")).toBe(false);
  });
});
