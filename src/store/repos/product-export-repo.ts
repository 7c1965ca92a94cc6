import { productStock, products } from "../schema/index.js";
import { statementFor } from "../sql/placeholders.js";
import type { SqlStore } from "../sql/sql-store.js";
import type { ProductRow, StockRow } from "./product-repo.js";
import { columnNames, selectColumns } from "./row-sql.js";

/** Skus read per query when exporting a supplier's products. */
const EXPORT_PAGE_ROWS = 1_000;

/** The product columns an export carries: none of the JSON bodies or read times. */
const EXPORT_KEYS = [
  "id",
  "supplierId",
  "sku",
  "status",
  "name",
  "model",
  "catalogId",
  "interfaceCode",
  "brandId",
  "brandName",
  "url",
  "imagePath",
  "shelfState",
  "priceFen",
  "mallPriceFen",
  "marketPriceFen",
  "rejectionJson",
  "listingState",
  "updatedAt",
] as const;
const EXPORT_COLUMNS = columnNames(products, EXPORT_KEYS)
  .map((name, i) => `"${name}" AS "${EXPORT_KEYS[i]}"`)
  .join(", ");

export type ExportRow = Pick<ProductRow, (typeof EXPORT_KEYS)[number]>;
export type ExportPage = Array<{ product: ExportRow; stock: StockRow[] }>;

/**
 * A supplier's whole product store read page by page in sku order (keyset on the unique
 * supplier + sku index), with the stock of each page in one range read, so an export of a
 * million products holds one page in memory, never the list.
 */
export type ProductExportRepo = ReturnType<typeof createProductExportRepo>;

export function createProductExportRepo(sql: SqlStore) {
  const statement = statementFor(sql.dialect);
  const S = {
    page: statement((p) => `SELECT ${EXPORT_COLUMNS} FROM products WHERE supplier_id = ${p()} AND sku > ${p()} ORDER BY sku LIMIT ${p()}`),
    stockRange: statement(
      (p) => `SELECT ${selectColumns(productStock)} FROM product_stock WHERE supplier_id = ${p()} AND sku >= ${p()} AND sku <= ${p()} ORDER BY sku, area`,
    ),
  };

  return {
    async *pages(supplierId: number, pageRows = EXPORT_PAGE_ROWS): AsyncGenerator<ExportPage> {
      let after = "";
      for (;;) {
        const rows = await sql.all<ExportRow>(S.page, [supplierId, after, pageRows]);
        const first = rows[0];
        const last = rows.at(-1);
        if (!first || !last) return;
        const stock = new Map<string, StockRow[]>();
        for (const s of await sql.all<StockRow>(S.stockRange, [supplierId, first.sku, last.sku])) {
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
