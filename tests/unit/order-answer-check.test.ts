import { describe, expect, it } from "vitest";
import { checkSubmitAnswer } from "../../src/orders/order-answer-check.js";

const sent = {
  lines: [
    { sku: "100001", num: 2, priceFen: 499_900, name: null },
    { sku: "100002", num: 1, priceFen: 1_050, name: null },
  ],
  goodsFen: 1_000_850,
  freightFen: 0,
};
const answer = (over: Record<string, unknown> = {}) => ({
  mall_order_id: "8000000001",
  yggc_order: "TJ2026112600000001",
  sku: [
    { sku: "100001", num: 2, price: 4999 },
    { sku: "100002", num: 1, price: 10.5 },
  ],
  orderPrice: 10008.5,
  freight: 0,
  ...over,
});

describe("S-11 answer check", () => {
  it("finds no difference in the order as sent, money compared in fen (4999 = 4999.00)", () => {
    expect(checkSubmitAnswer(sent, answer()).differences).toEqual([]);
  });

  it("names every difference: freight, a price, a quantity, a missing and an extra sku", () => {
    const check = checkSubmitAnswer(
      sent,
      answer({
        sku: [
          { sku: "100001", num: 3, price: 4999.01 },
          { sku: "999", num: 1, price: 1 },
        ],
        freight: 10,
      }),
    );
    expect(check.differences).toEqual([
      "100001: num sent 2, answered 3",
      "100001: price sent 4999.00, answered 4999.01",
      "100002: sent, missing from the answer",
      "999: answered, never sent",
      "freight sent 0.00, answered 10.00",
    ]);
    expect(check.theirs.freightFen).toBe(1_000);
  });

  it("never treats an amount with more than 2 decimals or a repeated line as equal", () => {
    const check = checkSubmitAnswer(sent, answer({ freight: 0.001, sku: [...answer().sku, { sku: "100002", num: 1, price: 10.5 }] }));
    expect(check.theirs.freightFen).toBeNull();
    expect(check.differences).toContain("freight sent 0.00, answered ?");
    expect(check.differences).toContain("100002: answered more than once");
  });
});
