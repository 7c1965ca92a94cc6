import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type OrderRig, orderFile, startOrderRig } from "../helpers/order-rig.js";

let rig: OrderRig;
beforeAll(async () => {
  rig = await startOrderRig({ env: { FREIGHT_FREE_FROM_FEN: "100000000", FREIGHT_FLAT_FEN: "1500" } });
});
afterAll(() => rig.close());

describe("freight from configuration", () => {
  it("charges FREIGHT_FLAT_FEN below FREIGHT_FREE_FROM_FEN", async () => {
    const sku = (await rig.gw.container.repos.products.onShelfSkus(rig.supplier.id))[0];
    if (!sku) throw new Error("no orderable sku");
    const created = await rig.gw.container.orders.service.create(orderFile([{ sku }]), "user:test");
    expect(created.ok && created.value).toMatchObject({ freightFen: 1_500 });
    if (created.ok) expect(created.value.orderPriceFen).toBe(created.value.goodsFen + 1_500);
  });
});
