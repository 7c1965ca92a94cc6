import { and, asc, eq, inArray, sql } from "drizzle-orm";
import type { Store } from "../database.js";
import { withTransaction } from "../database.js";
import { priceHistory, products, productStock } from "../schema/index.js";

export type ProductRow = typeof products.$inferSelect;
/** A row as the puller writes it; the listing decision is staff's and survives every re-read. */
export type NewProductRow = Omit<ProductRow, "id" | "listingReason" | "listingChangedAt">;
export type StockRow = typeof productStock.$inferSelect;
export type PriceChange = { sku: string; priceFen: number; mallPriceFen: number };

/** SQLite's default limit on bound variables leaves room for this many skus in one IN list. */
const IN_LIST_MAX = 500;

/** The mall's product store. Writes come in batches inside one transaction per page (STYLE). */
export type ProductRepo = ReturnType<typeof createProductRepo>;

export function createProductRepo(store: Store) {
  const { db } = store;
  const bySku = db
    .select()
    .from(products)
    .where(and(eq(products.supplierId, sql.placeholder("supplierId")), eq(products.sku, sql.placeholder("sku"))))
    .prepare();
  const upsert = (row: NewProductRow) =>
    db
      .insert(products)
      .values(row)
      .onConflictDoUpdate({
        target: [products.supplierId, products.sku],
        set: { ...row, createdAt: sql`${products.createdAt}`, listingState: sql`${products.listingState}` },
      })
      .run();

  return {
    bySku: (supplierId: number, sku: string): ProductRow | undefined => bySku.get({ supplierId, sku }),

    bySkus(supplierId: number, skus: readonly string[]): Map<string, ProductRow> {
      const out = new Map<string, ProductRow>();
      for (let i = 0; i < skus.length; i += IN_LIST_MAX) {
        const part = skus.slice(i, i + IN_LIST_MAX);
        for (const row of db.select().from(products).where(and(eq(products.supplierId, supplierId), inArray(products.sku, part))).all()) {
          out.set(row.sku, row);
        }
      }
      return out;
    },

    /** Writes whole product rows (and their price history) in the caller's transaction. */
    saveProducts(rows: readonly NewProductRow[], priceChanges: ReadonlyArray<PriceChange & { supplierId: number; at: number; runId: string | null }>): void {
      for (const row of rows) upsert(row);
      for (const change of priceChanges) db.insert(priceHistory).values(change).run();
    },

    saveStock(rows: readonly StockRow[]): void {
      withTransaction(store, () => {
        for (const row of rows) {
          db.insert(productStock).values(row).onConflictDoUpdate({ target: [productStock.supplierId, productStock.sku, productStock.area], set: row }).run();
        }
      });
    },

    stockOf: (supplierId: number, sku: string): StockRow[] =>
      db.select().from(productStock).where(and(eq(productStock.supplierId, supplierId), eq(productStock.sku, sku))).all(),

    /** Active, on-shelf skus: what buyers can see, and what stock refresh covers (§6). */
    onShelfSkus: (supplierId: number): string[] =>
      db
        .select({ sku: products.sku })
        .from(products)
        .where(and(eq(products.supplierId, supplierId), eq(products.status, "active"), eq(products.shelfState, 1)))
        .orderBy(asc(products.sku))
        .all()
        .map((r) => r.sku),

    list: (supplierId: number): ProductRow[] =>
      db.select().from(products).where(eq(products.supplierId, supplierId)).orderBy(asc(products.sku)).all(),

    priceHistoryOf: (supplierId: number, sku: string) =>
      db.select().from(priceHistory).where(and(eq(priceHistory.supplierId, supplierId), eq(priceHistory.sku, sku))).orderBy(asc(priceHistory.at)).all(),

    /** Compare-and-set on the listing state, so two reviewers deciding at once cannot both win. */
    setListingState(supplierId: number, sku: string, from: ProductRow["listingState"], state: ProductRow["listingState"], reason: string | null, now: number): boolean {
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
