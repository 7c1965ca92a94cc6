import { and, asc, eq, getTableColumns, sql } from "drizzle-orm";
import type { Store } from "../database.js";
import { withTransaction } from "../database.js";
import { priceHistory, products, productStock } from "../schema/index.js";
import { bulkInsert } from "./bulk-rows.js";
import { conflictUpdateSql, selectColumns, upsertSql } from "./row-sql.js";

export type ProductRow = typeof products.$inferSelect;
/** A row as the puller writes it; the listing decision is staff's and survives every re-read. */
export type NewProductRow = Omit<ProductRow, "id" | "listingReason" | "listingChangedAt">;
export type StockRow = typeof productStock.$inferSelect;
export type PriceChange = { sku: string; priceFen: number; mallPriceFen: number };

/** The columns a NewProductRow carries: all but the id and the listing reason and time, which are staff's. */
function productRowKeys(): string[] {
  const { id: _id, listingReason: _reason, listingChangedAt: _changed, ...rest } = getTableColumns(products);
  return Object.keys(rest);
}

/** The mall's product store. Writes come in batches inside one transaction per page (STYLE). */
export type ProductRepo = ReturnType<typeof createProductRepo>;

export function createProductRepo(store: Store) {
  const { db, connection: sqlite } = store;
  const bySku = db
    .select()
    .from(products)
    .where(and(eq(products.supplierId, sql.placeholder("supplierId")), eq(products.sku, sql.placeholder("sku"))))
    .prepare();
  // Hot paths of the puller (a row per sku of every page), prepared once.
  const rowKeys = productRowKeys();
  // The listing decision and the first sight of a product are never rewritten by a re-read.
  const upsert = sqlite.prepare(upsertSql(products, rowKeys, ["supplierId", "sku"], ["createdAt", "listingState"]));
  const selectBySkus = sqlite.prepare(`SELECT ${selectColumns(products)} FROM products WHERE supplier_id = ? AND sku IN (SELECT value FROM json_each(?))`);
  const insertPriceChange = sqlite.prepare("INSERT INTO price_history (supplier_id, sku, price_fen, mall_price_fen, at, run_id) VALUES (?, ?, ?, ?, ?, ?)");
  // PostgreSQL: a chunk's rows in one statement each (bulk-rows.ts), the upsert with the same SET list.
  const bulkProducts = bulkInsert(products, rowKeys, conflictUpdateSql(products, rowKeys, ["supplierId", "sku"], ["createdAt", "listingState"]));
  const bulkPrices = bulkInsert(priceHistory, ["supplierId", "sku", "priceFen", "mallPriceFen", "at", "runId"]);
  const [upsertAll, insertPriceChanges] = store.dialect === "postgres" ? [sqlite.prepare(bulkProducts.sql), sqlite.prepare(bulkPrices.sql)] : [null, null];

  return {
    bySku: (supplierId: number, sku: string): ProductRow | undefined => bySku.get({ supplierId, sku }),

    bySkus(supplierId: number, skus: readonly string[]): Map<string, ProductRow> {
      const out = new Map<string, ProductRow>();
      if (skus.length === 0) return out;
      for (const row of selectBySkus.all(supplierId, JSON.stringify(skus)) as ProductRow[]) out.set(row.sku, row);
      return out;
    },

    /** Writes whole product rows (and their price history) in the caller's transaction. */
    saveProducts(rows: readonly NewProductRow[], priceChanges: ReadonlyArray<PriceChange & { supplierId: number; at: number; runId: string | null }>): void {
      if (upsertAll && insertPriceChanges) {
        // One statement may not update a row twice: a sku written twice in a chunk keeps its last row, as one row after the other would.
        const last = [...new Map(rows.map((row) => [`${row.supplierId}:${row.sku}`, row])).values()];
        if (last.length > 0) upsertAll.run(bulkProducts.json(last));
        if (priceChanges.length > 0) insertPriceChanges.run(bulkPrices.json(priceChanges));
        return;
      }
      for (const row of rows) upsert.run(row);
      for (const c of priceChanges) insertPriceChange.run(c.supplierId, c.sku, c.priceFen, c.mallPriceFen, c.at, c.runId);
    },

    saveStock(rows: readonly StockRow[]): void {
      withTransaction(store, () => {
        for (const row of rows) {
          db.insert(productStock)
            .values(row)
            .onConflictDoUpdate({ target: [productStock.supplierId, productStock.sku, productStock.area], set: row })
            .run();
        }
      });
    },

    stockOf: (supplierId: number, sku: string): StockRow[] =>
      db
        .select()
        .from(productStock)
        .where(and(eq(productStock.supplierId, supplierId), eq(productStock.sku, sku)))
        .all(),

    /** Active, on-shelf skus: what buyers can see, and what stock refresh covers (§6). */
    onShelfSkus: (supplierId: number): string[] =>
      db
        .select({ sku: products.sku })
        .from(products)
        .where(and(eq(products.supplierId, supplierId), eq(products.status, "active"), eq(products.shelfState, 1)))
        .orderBy(asc(products.sku))
        .all()
        .map((r) => r.sku),

    list: (supplierId: number): ProductRow[] => db.select().from(products).where(eq(products.supplierId, supplierId)).orderBy(asc(products.sku)).all(),

    priceHistoryOf: (supplierId: number, sku: string) =>
      db
        .select()
        .from(priceHistory)
        .where(and(eq(priceHistory.supplierId, supplierId), eq(priceHistory.sku, sku)))
        .orderBy(asc(priceHistory.at))
        .all(),

    /** Compare-and-set on the listing state, so two reviewers deciding at once cannot both win. */
    setListingState(
      supplierId: number,
      sku: string,
      from: ProductRow["listingState"],
      state: ProductRow["listingState"],
      reason: string | null,
      now: number,
    ): boolean {
      return (
        db
          .update(products)
          .set({ listingState: state, listingReason: reason, listingChangedAt: now })
          .where(and(eq(products.supplierId, supplierId), eq(products.sku, sku), eq(products.listingState, from)))
          .run().changes === 1
      );
    },
  };
}
