import { getTableColumns } from "drizzle-orm";
import { priceHistory, products, productStock } from "../schema/index.js";
import { statementFor } from "../sql/placeholders.js";
import type { SqlRunner, SqlStore } from "../sql/sql-store.js";
import { bulkInsert, rowInsert } from "./bulk-rows.js";
import { conflictUpdateSql, selectColumns } from "./row-sql.js";

export type ProductRow = typeof products.$inferSelect;
/** A row as the puller writes it; the listing decision is staff's and survives every re-read. */
export type NewProductRow = Omit<ProductRow, "id" | "listingReason" | "listingChangedAt">;
export type StockRow = typeof productStock.$inferSelect;
export type PriceHistoryRow = typeof priceHistory.$inferSelect;
export type PriceChange = { sku: string; priceFen: number; mallPriceFen: number };

/** The columns a NewProductRow carries: all but the id and the listing reason and time, which are staff's. */
function productRowKeys(): string[] {
  const { id: _id, listingReason: _reason, listingChangedAt: _changed, ...rest } = getTableColumns(products);
  return Object.keys(rest);
}

/** The mall's product store. Writes come in batches inside one transaction per page (STYLE). */
export type ProductRepo = ReturnType<typeof createProductRepo>;

export function createProductRepo(pool: SqlStore) {
  const onPostgres = pool.dialect === "postgres";
  const statement = statementFor(pool.dialect);
  // Hot paths of the puller (a row per sku of every page), written for each database.
  const rowKeys = productRowKeys();
  // The listing decision and the first sight of a product are never rewritten by a re-read.
  const productConflict = conflictUpdateSql(products, rowKeys, ["supplierId", "sku"], ["createdAt", "listingState"]);
  const priceKeys = ["supplierId", "sku", "priceFen", "mallPriceFen", "at", "runId"];
  const stockKeys = Object.keys(getTableColumns(productStock));
  const stockConflict = conflictUpdateSql(productStock, stockKeys, ["supplierId", "sku", "area"], []);
  // PostgreSQL: a chunk's rows in one statement each (bulk-rows.ts); SQLite: a prepared statement per row.
  const W = onPostgres
    ? {
        products: bulkInsert(products, rowKeys, productConflict),
        prices: bulkInsert(priceHistory, priceKeys),
        stock: bulkInsert(productStock, stockKeys, stockConflict),
      }
    : {
        products: rowInsert(products, rowKeys, productConflict),
        prices: rowInsert(priceHistory, priceKeys),
        stock: rowInsert(productStock, stockKeys, stockConflict),
      };
  const writeRows = async (db: SqlRunner, kind: keyof typeof W, rows: ReadonlyArray<Readonly<Record<string, unknown>>>): Promise<void> => {
    if (rows.length === 0) return;
    const w = W[kind];
    if ("json" in w) await db.run(w.sql, [w.json(rows)]);
    else for (const row of rows) await db.run(w.sql, w.values(row));
  };
  const R = {
    bySkus: onPostgres
      ? `SELECT ${selectColumns(products)} FROM products WHERE supplier_id = $1 AND sku = ANY(ARRAY(SELECT unnest($2::text[])))`
      : `SELECT ${selectColumns(products)} FROM products WHERE supplier_id = ? AND sku IN (SELECT value FROM json_each(?))`,
    onShelf: `SELECT sku FROM products WHERE supplier_id = ${onPostgres ? "$1" : "?"} AND status = 'active' AND shelf_state = 1 ORDER BY sku`,
    bySku: statement((p) => `SELECT ${selectColumns(products)} FROM products WHERE supplier_id = ${p()} AND sku = ${p()}`),
    stockOf: statement((p) => `SELECT ${selectColumns(productStock)} FROM product_stock WHERE supplier_id = ${p()} AND sku = ${p()}`),
    list: statement((p) => `SELECT ${selectColumns(products)} FROM products WHERE supplier_id = ${p()} ORDER BY sku`),
    priceHistory: statement((p) => `SELECT ${selectColumns(priceHistory)} FROM price_history WHERE supplier_id = ${p()} AND sku = ${p()} ORDER BY at`),
    setListing: statement(
      (p) =>
        `UPDATE products SET listing_state = ${p()}, listing_reason = ${p()}, listing_changed_at = ${p()} WHERE supplier_id = ${p()} AND sku = ${p()} AND listing_state = ${p()}`,
    ),
  };

  return {
    /** In `tx` when given: a decision on the product reads it in the transaction that writes it. */
    bySku: (supplierId: number, sku: string, tx: SqlRunner = pool): Promise<ProductRow | undefined> => tx.get<ProductRow>(R.bySku, [supplierId, sku]),

    async bySkus(supplierId: number, skus: readonly string[]): Promise<Map<string, ProductRow>> {
      const out = new Map<string, ProductRow>();
      if (skus.length === 0) return out;
      for (const row of await pool.all<ProductRow>(R.bySkus, [supplierId, onPostgres ? [...skus] : JSON.stringify(skus)])) out.set(row.sku, row);
      return out;
    },

    /** Writes whole product rows (and their price history) in the caller's transaction. */
    async saveProducts(
      tx: SqlRunner,
      rows: readonly NewProductRow[],
      priceChanges: ReadonlyArray<PriceChange & { supplierId: number; at: number; runId: string | null }>,
    ): Promise<void> {
      // One statement may not update a row twice: a sku written twice in a chunk keeps its last row, as one row after the other would.
      const last = onPostgres ? [...new Map(rows.map((row) => [`${row.supplierId}:${row.sku}`, row])).values()] : rows;
      await writeRows(tx, "products", last);
      await writeRows(tx, "prices", priceChanges);
    },

    /** The stock the supplier answered, each row replacing the one for its sku and area; in `tx` when given. */
    async saveStock(rows: readonly StockRow[], tx?: SqlRunner): Promise<void> {
      // As saveProducts: a sku and area answered twice keeps its last row.
      const last = onPostgres ? [...new Map(rows.map((row) => [`${row.supplierId}:${row.sku}:${row.area}`, row])).values()] : rows;
      if (tx) return writeRows(tx, "stock", last);
      await pool.transaction((own) => writeRows(own, "stock", last));
    },

    stockOf: (supplierId: number, sku: string): Promise<StockRow[]> => pool.all<StockRow>(R.stockOf, [supplierId, sku]),

    /** Active, on-shelf skus: what buyers can see, and what stock refresh covers (§6). */
    onShelfSkus: async (supplierId: number): Promise<string[]> => (await pool.all<{ sku: string }>(R.onShelf, [supplierId])).map((r) => r.sku),

    list: (supplierId: number): Promise<ProductRow[]> => pool.all<ProductRow>(R.list, [supplierId]),

    priceHistoryOf: (supplierId: number, sku: string): Promise<PriceHistoryRow[]> => pool.all<PriceHistoryRow>(R.priceHistory, [supplierId, sku]),

    /**
     * Compare-and-set on the listing state, so two reviewers deciding at once cannot both win; in
     * `tx`, beside its audit row.
     */
    async setListingState(
      tx: SqlRunner,
      supplierId: number,
      sku: string,
      from: ProductRow["listingState"],
      state: ProductRow["listingState"],
      reason: string | null,
      now: number,
    ): Promise<boolean> {
      return (await tx.run(R.setListing, [state, reason, now, supplierId, sku, from])) === 1;
    },
  };
}
