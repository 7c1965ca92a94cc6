import type { Store } from "../database.js";
import type { ProductRow, StockRow } from "./product-repo.js";

/** Skus read per query when exporting a supplier's products. */
const EXPORT_PAGE_ROWS = 1_000;

/**
 * A supplier's whole product store read page by page in sku order (keyset on the unique
 * supplier + sku index), with the stock of each page in one range read, so an export of a
 * million products holds one page in memory, never the list.
 */
export type ProductExportRepo = ReturnType<typeof createProductExportRepo>;

export function createProductExportRepo(store: Store) {
  const { connection: sqlite } = store;
  const columns =
    "id, supplier_id AS supplierId, sku, status, name, model, catalog_id AS catalogId, interface_code AS interfaceCode, brand_id AS brandId, " +
    "brand_name AS brandName, url, image_path AS imagePath, shelf_state AS shelfState, price_fen AS priceFen, mall_price_fen AS mallPriceFen, " +
    "market_price_fen AS marketPriceFen, rejection_json AS rejectionJson, listing_state AS listingState, updated_at AS updatedAt";
  const page = sqlite.prepare(`SELECT ${columns} FROM products WHERE supplier_id = ? AND sku > ? ORDER BY sku LIMIT ?`);
  const stockRange = sqlite.prepare(
    "SELECT supplier_id AS supplierId, sku, area, num, stock_state_id AS stockStateId, description, checked_at AS checkedAt " +
      "FROM product_stock WHERE supplier_id = ? AND sku >= ? AND sku <= ? ORDER BY sku, area",
  );
  type ExportRow = Omit<
    ProductRow,
    "detailJson" | "attributesJson" | "promisesJson" | "imagesJson" | "sourceMessageIdsJson" | "detailReadAt" | "priceReadAt" | "shelfReadAt" | "createdAt"
  >;

  return {
    *pages(supplierId: number, pageRows = EXPORT_PAGE_ROWS): Generator<Array<{ product: ExportRow; stock: StockRow[] }>> {
      let after = "";
      for (;;) {
        const rows = page.all(supplierId, after, pageRows) as ExportRow[];
        const first = rows[0];
        const last = rows.at(-1);
        if (!first || !last) return;
        const stock = new Map<string, StockRow[]>();
        for (const s of stockRange.all(supplierId, first.sku, last.sku) as StockRow[]) {
          const list = stock.get(s.sku);
          if (list) list.push(s);
          else stock.set(s.sku, [s]);
        }
        yield rows.map((product) => ({ product, stock: stock.get(product.sku) ?? [] }));
        if (rows.length < pageRows) return;
        after = last.sku;
      }
    },
  };
}
