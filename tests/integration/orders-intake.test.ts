import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FieldIssue } from "../../src/lib/errors.js";
import type { ProductTruth } from "../../src/simulator/product-store.js";
import { orderableSkus } from "../helpers/order-products.js";
import { AREA, type OrderRig, VAT_BLOCK, databaseBytes, orderFile, startOrderRig } from "../helpers/order-rig.js";

describe("order intake and personal data at rest", () => {
  let rig: OrderRig;
  let truth: ProductTruth[];
  let orderable: ProductTruth[];

  const issuesOf = async (file: Record<string, unknown>): Promise<FieldIssue[]> => {
    const created = await rig.gw.container.orders.service.create(file, "user:test");
    if (created.ok) throw new Error(`accepted ${created.value.yggc_order}`);
    return [...created.error.issues];
  };
  const fields = (issues: FieldIssue[]) => issues.map((i) => i.field).sort();

  beforeAll(async () => {
    rig = await startOrderRig({ sim: { products: 120, invalidShare: 0.2, offShelfShare: 0 } });
    truth = rig.running.sim.exportTruth().products;
    orderable = orderableSkus(truth, AREA.province, 50).filter((t) => t.stock !== null);
  });
  afterAll(async () => {
    await rig.close();
  });

  it("names every bad field of the file at once", async () => {
    const issues = await issuesOf({
      ...orderFile([{ sku: orderable[0]?.sku ?? "" }]),
      items: [
        { sku: "X1", num: 0 },
        { sku: "X2", num: 1, price: 1 },
        { sku: "X1", num: 2 },
      ],
      mobile: "12345",
      zip: "30004",
      email: "not-an-email",
      invoice_type: 2,
      payment: 9,
      name: undefined,
      surprise: true,
    });
    expect(fields(issues)).toEqual(
      [
        "(order)",
        "email",
        "invoice_address",
        "invoice_bank",
        "invoice_bank_code",
        "invoice_mobile",
        "invoice_name",
        "invoice_phone",
        "invoice_receipt_address",
        "items[0].num",
        "items[1]",
        "items[2].sku",
        "mobile",
        "name",
        "payment",
        "zip",
      ].sort(),
    );
    expect(issues.find((i) => i.field === "items[1]")?.message).toContain("price");
    expect(issues.find((i) => i.field === "name")?.message).toBe("required");
  });

  it("requires phone or mobile", async () => {
    const { mobile: _m, ...rest } = orderFile([{ sku: orderable[0]?.sku ?? "" }]);
    expect(await issuesOf(rest)).toEqual([{ field: "mobile", message: "phone or mobile is required (§5 S-11)" }]);
  });

  it("checks the supplier, the area against the area table, and every sku against the product store", async () => {
    expect(fields(await issuesOf(orderFile([{ sku: "1" }], { supplier: "NOBODY" })))).toEqual(["supplier"]);

    const rejected = truth.find((t) => t.inPool && !t.valid);
    const offShelf = orderable[1];
    if (!rejected || !offShelf) throw new Error("fixture lacks a rejected or second orderable sku");
    const row = await rig.gw.container.repos.products.bySku(rig.supplier.id, offShelf.sku);
    if (!row) throw new Error("product not copied");
    const { id: _id, ...rest } = row;
    await rig.gw.container.store.sql.transaction((tx) => rig.gw.container.repos.products.saveProducts(tx, [{ ...rest, shelfState: 0 }], []));

    const issues = await issuesOf(orderFile([{ sku: "NO-SUCH-SKU" }, { sku: rejected.sku }, { sku: offShelf.sku }], { city: "110100", county: "120102" }));
    expect(issues).toEqual([
      { field: "city", message: "110100 is not a city of province 120000" },
      { field: "county", message: "120102 is not a county of city 110100" },
      { field: "items[0].sku", message: `NO-SUCH-SKU is not in the mall's product store for supplier ${rig.supplier.code}` },
      { field: "items[1].sku", message: `${rejected.sku} is rejected and cannot be ordered` },
      { field: "items[2].sku", message: `${offShelf.sku} is off shelf (已下架)` },
    ]);
  });

  it("checks stock with S-8 in the consignee's area", async () => {
    const sku = orderable[2];
    if (!sku?.stock) throw new Error("no stocked sku");
    const available = sku.stock.byProvince[AREA.province] ?? sku.stock.base;
    const issues = await issuesOf(orderFile([{ sku: sku.sku, num: available + 1 }]));
    expect(issues).toEqual([{ field: "items[0].num", message: `${available + 1} wanted, ${available} available in 120000_120100_120101 (库存不足)` }]);
  });

  it("prices from the store, never the caller, and adds freight below 99 元", async () => {
    // Skus 0–3 belong to the other tests.
    const dear = orderable.slice(5).find((t) => t.priceFen >= 9_900);
    const cheapSku = orderable[4]?.sku;
    if (!dear || !cheapSku) throw new Error("fixture lacks skus");
    // A 50 元 item, the same in the store and at the supplier.
    const row = await rig.gw.container.repos.products.bySku(rig.supplier.id, cheapSku);
    const simProduct = rig.running.sim.products.get(cheapSku);
    if (!row || !simProduct) throw new Error("product not copied");
    const { id: _id, ...rest } = row;
    await rig.gw.container.store.sql.transaction((tx) => rig.gw.container.repos.products.saveProducts(tx, [{ ...rest, priceFen: 5_000 }], []));
    simProduct.priceFen = 5_000;
    const cheap = { sku: cheapSku, priceFen: 5_000 };
    const service = rig.gw.container.orders.service;
    const a = await service.create(orderFile([{ sku: cheap.sku }]), "user:test");
    expect(a.ok && a.value).toMatchObject({ goodsFen: cheap.priceFen, freightFen: 1_000, orderPriceFen: cheap.priceFen + 1_000, createdBy: "user:test" });
    const b = await service.create(orderFile([{ sku: dear.sku, num: 2 }]), "user:test");
    expect(b.ok && b.value).toMatchObject({ goodsFen: dear.priceFen * 2, freightFen: 0, orderPriceFen: dear.priceFen * 2 });
  });

  it("keeps the consignee and invoice bank fields only encrypted on disk, and shows them only when revealed", async () => {
    const file = orderFile([{ sku: orderable[3]?.sku ?? "" }], { ...VAT_BLOCK, phone: "022-87654321" });
    const service = rig.gw.container.orders.service;
    const created = await service.create(file, "user:test");
    if (!created.ok) throw created.error;
    const pushed = await service.push(created.value.yggc_order, "user:test");
    expect(pushed.ok && pushed.value.state).toBe("confirmed");

    const hidden = await service.show(created.value.yggc_order);
    expect(hidden.ok && hidden.value.consignee).toBeUndefined();
    const shown = await service.show(created.value.yggc_order, { reveal: true });
    expect(shown.ok && shown.value).toMatchObject({
      consignee: { name: file.name, mobile: file.mobile, phone: "022-87654321", address: file.address, email: file.email },
      invoiceBank: { invoice_bank: VAT_BLOCK.invoice_bank },
    });

    const personal = [
      file.name,
      file.mobile,
      "022-87654321",
      file.address,
      file.email,
      ...Object.entries(VAT_BLOCK)
        .filter(([k]) => k !== "invoice_type")
        .map(([, v]) => v),
    ].map(String);
    const disk = await databaseBytes(rig.gw);
    for (const value of personal) {
      expect(disk.includes(Buffer.from(value, "utf8")), value).toBe(false);
      expect(disk.includes(Buffer.from(JSON.stringify(value).slice(1, -1), "utf8")), value).toBe(false);
    }
    // The scan can see text: the unit name (not personal data) is there in clear.
    expect(disk.includes(Buffer.from(String(file.dep_name), "utf8"))).toBe(true);
  });
});
