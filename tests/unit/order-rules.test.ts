import { describe, expect, it } from "vitest";
import { DEFAULT_FREIGHT_RULE, freightFen, mintYggcOrder } from "../../src/orders/order-intake.js";
import { fieldName, parseOrderInput } from "../../src/orders/order-input.js";

describe("order rules", () => {
  it("charges 10 元 freight below 99 元 of goods and none from 99 元", () => {
    expect(freightFen(9_899, DEFAULT_FREIGHT_RULE)).toBe(1_000);
    expect(freightFen(9_900, DEFAULT_FREIGHT_RULE)).toBe(0);
    expect(freightFen(0, { freeFromFen: 0, flatFen: 500 })).toBe(0);
  });

  it("mints yggc_order as TJ + Beijing date + 8 digits", () => {
    // 2022-10-20 23:30 in Beijing is still the 20th there, though the 20th 15:30 in UTC.
    expect(mintYggcOrder(Date.UTC(2022, 9, 20, 15, 30))).toMatch(/^TJ20221020\d{8}$/);
    expect(mintYggcOrder(Date.UTC(2022, 9, 20, 16, 30))).toMatch(/^TJ20221021\d{8}$/);
  });

  it("names fields as the file writes them", () => {
    expect(fieldName(["items", 2, "num"])).toBe("items[2].num");
    expect(fieldName([])).toBe("(order)");
  });

  it("accepts a minimal order and refuses a price on a line", () => {
    const base = {
      supplier: "S1",
      items: [{ sku: "100001", num: "2" }],
      name: "张三",
      phone: "022-12345678",
      province: "120000",
      city: "120100",
      county: "120101",
      address: "南京路1号",
      invoice_title: "某单位",
      invoice_type: "1",
      invoice_org_code: "11120101MB1234567X",
      payment: 2,
    };
    const ok = parseOrderInput(base);
    expect(ok.ok && ok.value.items).toEqual([{ sku: "100001", num: 2 }]);
    const priced = parseOrderInput({ ...base, items: [{ sku: "100001", num: 1, price: 1 }] });
    expect(!priced.ok && priced.issues.map((i) => i.field)).toEqual(["items[0]"]);
  });
});
