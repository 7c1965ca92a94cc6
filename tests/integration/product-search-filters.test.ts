import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ProductSearch } from "../../src/store/repos/admin-repo.js";
import { type TestGateway, nextCreditCode, startTestGateway } from "../helpers/harness.js";
import { rawSql } from "../helpers/raw-sql.js";

/**
 * The product search's filters, each written for its database (LIKE on SQLite, ILIKE on
 * PostgreSQL; SQLite's trigram chunks for a name of three characters or more): the same rows on both.
 */
describe("product search filters", () => {
  let gw: TestGateway;
  let supplierId = 0;
  let otherId = 0;

  beforeAll(async () => {
    gw = await startTestGateway();
    for (const code of ["FLT", "OTHER"])
      await gw.container.supplierAccounts.create({ code, name: `电商${code}`, creditCode: await nextCreditCode(), domains: [`item.${code.toLowerCase()}.cn`] });
    supplierId = (await gw.container.repos.accounts.supplierByCode("FLT"))?.id ?? -1;
    otherId = (await gw.container.repos.accounts.supplierByCode("OTHER"))?.id ?? -1;
    const db = rawSql(gw.container.store);
    const insert =
      "INSERT INTO products (supplier_id, sku, status, name, brand_id, brand_name, catalog_id, interface_code, listing_state, shelf_state, price_fen, created_at, updated_at) " +
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, 100, 0, 0)";
    const rows: Array<[number, string, string, string, string, string, string, string, string]> = [
      [supplierId, "F-1", "active", "ThinkPad X1 笔记本", "B01", "Lenovo 联想", "C1", "A1", "none"],
      [supplierId, "F-2", "active", "LENOVO 鼠标", "B02", "罗技 Logitech", "C2", "C1", "applied"],
      [supplierId, "F-3", "rejected", "打印纸 50%_off", "B03", "50%_off 促销", "C3", "A3", "none"],
      [supplierId, "F-4", "active", "打印纸 50 off", "B04", "50 off", "C1", "A4", "approved"],
      [otherId, "O-1", "active", "ThinkPad 其他", "B01", "Lenovo", "C1", "A1", "none"],
    ];
    for (const r of rows) await db.run(insert, ...r);
  });
  afterAll(async () => gw?.close());

  const skus = async (q: Omit<ProductSearch, "limit">, limit = 50) => (await gw.container.admin.repo.productPage({ ...q, limit })).rows.map((r) => r.sku);

  it("matches a brand by its id, or by its name whatever the case, with % and _ taken literally", async () => {
    expect(await skus({ supplierId, brand: "B02" })).toEqual(["F-2"]);
    expect(await skus({ supplierId, brand: "lenovo" })).toEqual(["F-1"]);
    expect(await skus({ brand: "LENOVO" })).toEqual(["F-1", "O-1"]);
    expect(await skus({ supplierId, brand: "50%_off" })).toEqual(["F-3"]);
    expect(await skus({ supplierId, brand: "0%" })).toEqual(["F-3"]);
  });

  it("matches a name whatever the case, long or short, with % and _ taken literally", async () => {
    expect(await skus({ supplierId, name: "thinkpad" })).toEqual(["F-1"]);
    expect(await skus({ name: "ThinkPad" })).toEqual(["F-1", "O-1"]);
    expect(await skus({ supplierId, name: "lenovo" })).toEqual(["F-2"]);
    expect(await skus({ supplierId, name: "笔记" })).toEqual(["F-1"]);
    expect(await skus({ supplierId, name: "50%_off" })).toEqual(["F-3"]);
    expect(await skus({ supplierId, name: "%_" })).toEqual(["F-3"]);
  });

  it("matches the catalog filter on interfaceCode or catalogId, once each, in id order, under the other filters", async () => {
    expect(await skus({ supplierId, interfaceCode: "C1" })).toEqual(["F-1", "F-2", "F-4"]);
    expect(await skus({ interfaceCode: "C1" })).toEqual(["F-1", "F-2", "F-4", "O-1"]);
    expect(await skus({ supplierId, interfaceCode: "C1", status: "active", listingState: "applied" })).toEqual(["F-2"]);
    expect(await skus({ supplierId, interfaceCode: "C1", name: "thinkpad" })).toEqual(["F-1"]);
    const first = await gw.container.admin.repo.productPage({ supplierId, interfaceCode: "C1", limit: 2 });
    expect(first.rows.map((r) => r.sku)).toEqual(["F-1", "F-2"]);
    expect(await skus({ supplierId, interfaceCode: "C1", afterId: first.nextAfterId ?? undefined })).toEqual(["F-4"]);
  });

  it("pages on the id after `afterId` and ends with a null cursor", async () => {
    const page = await gw.container.admin.repo.productPage({ supplierId, limit: 3 });
    expect(page.rows.map((r) => r.sku)).toEqual(["F-1", "F-2", "F-3"]);
    expect(page.rows[0]).not.toHaveProperty("detailJson");
    const rest = await gw.container.admin.repo.productPage({ supplierId, afterId: page.nextAfterId ?? undefined, limit: 3 });
    expect(rest).toEqual({ rows: [expect.objectContaining({ sku: "F-4", supplierId, listingState: "approved", priceFen: 100 })], nextAfterId: null });
    expect(await skus({ sku: "F-3" })).toEqual(["F-3"]);
  });
});
