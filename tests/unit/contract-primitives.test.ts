import { describe, expect, it } from "vitest";
import {
  MessagePoolRequest,
  SkuBatchRequest,
  SubmitOrderRequest,
  fenToYuan,
  formatBeijingTimestamp,
  parseBeijingTimestamp,
  parseFields,
  presentFields,
  yuanToFen,
} from "../../src/contract/index.js";

describe("Beijing timestamps (§1)", () => {
  it("formats epoch time in UTC+8", () => {
    expect(formatBeijingTimestamp(Date.UTC(2022, 9, 20, 1, 30, 0))).toBe("2022-10-20 09:30:00");
  });
  it("round-trips and rejects impossible dates and other formats", () => {
    expect(parseBeijingTimestamp("2022-10-20 09:30:00")).toBe(Date.UTC(2022, 9, 20, 1, 30, 0));
    expect(parseBeijingTimestamp("2022-02-30 09:30:00")).toBeNull();
    expect(parseBeijingTimestamp("2022-10-20T09:30:00")).toBeNull();
    expect(parseBeijingTimestamp("1666229400")).toBeNull();
  });
});

describe("money in fen (§1)", () => {
  it("accepts 4999 and 4999.00 alike and keeps cents exact", () => {
    expect(yuanToFen(4999)).toBe(499_900);
    expect(yuanToFen("4999.00")).toBe(499_900);
    expect(yuanToFen(0.1)).toBe(10);
    expect(yuanToFen("19.9")).toBe(1_990);
    expect(fenToYuan(1_990)).toBe(19.9);
  });
  it("rejects more than 2 decimals, negatives and non-numbers", () => {
    expect(yuanToFen(1.005)).toBeNull();
    expect(yuanToFen(0.1 + 0.2)).toBeNull();
    expect(yuanToFen(-1)).toBeNull();
    expect(yuanToFen("12a")).toBeNull();
  });
});

describe("field parsing", () => {
  it("treats empty values as missing (5006) and names them", () => {
    const parsed = parseFields(MessagePoolRequest, presentFields({ platformCode: "TJZFCG", type: "" }));
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.failure).toEqual({ code: 5006, desc: "必填参数为空: type" });
  });
  it("answers 5099 for a message type outside 2/4/6/16", () => {
    const parsed = parseFields(MessagePoolRequest, { platformCode: "TJZFCG", type: "3" });
    expect(parsed.ok ? null : parsed.failure.code).toBe(5099);
  });
  it("answers exactly sku数量超过100 for 101 skus, and dedupes a batch", () => {
    const skus = Array.from({ length: 101 }, (_, i) => `S${i}`).join(",");
    const parsed = parseFields(SkuBatchRequest, { platformCode: "P", sku: skus });
    expect(parsed.ok ? null : parsed.failure).toEqual({ code: 5099, desc: "sku数量超过100" });
    const dup = parseFields(SkuBatchRequest, { platformCode: "P", sku: "A,B,A" });
    expect(dup.ok ? dup.value.sku : null).toEqual(["A", "B"]);
  });
  it("refuses spaces inside a sku batch", () => {
    expect(parseFields(SkuBatchRequest, { platformCode: "P", sku: "A, B" }).ok).toBe(false);
  });
  it("parses the order sku field from JSON text and refuses prices with 3 decimals", () => {
    const base = {
      platformCode: "P",
      yggc_order: "Y1",
      name: "张三",
      province: "120000",
      city: "120100",
      county: "120101",
      address: "x",
      mobile: "13800000000",
      invoice_title: "单位",
      invoice_type: "1",
      invoice_org_code: "91120116MA05XXXX1X",
      payment: "2",
      order_price: "10",
      freight: "0",
    };
    const good = parseFields(SubmitOrderRequest, { ...base, sku: '[{"sku":"1","num":2,"price":5}]' });
    expect(good.ok ? good.value.sku : null).toEqual([{ sku: "1", num: 2, price: 5 }]);
    const bad = parseFields(SubmitOrderRequest, { ...base, sku: '[{"sku":"1","num":2,"price":5.001}]' });
    expect(bad.ok).toBe(false);
    const notJson = parseFields(SubmitOrderRequest, { ...base, sku: "[{" });
    expect(notJson.ok ? null : notJson.failure.code).toBe(5099);
  });
});
