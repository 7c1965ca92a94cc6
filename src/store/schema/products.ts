import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { suppliers } from "./suppliers.js";

/**
 * The mall's product store: one row per supplier sku, as last read from the supplier (§6 always
 * re-reads current state). Money in fen. `status` says whether buyers may see it.
 */
export const products = sqliteTable(
  "products",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    supplierId: integer("supplier_id")
      .notNull()
      .references(() => suppliers.id),
    sku: text("sku").notNull(),
    status: text("status", { enum: ["active", "rejected", "delisted"] }).notNull(),
    name: text("name"),
    model: text("model"),
    catalogId: text("catalog_id"),
    interfaceCode: text("interface_code"),
    brandId: text("brand_id"),
    brandName: text("brand_name"),
    url: text("url"),
    imagePath: text("image_path"),
    /** The S-4 detail as received (HTML introduction, param table, packing list and the rest). */
    detailJson: text("detail_json"),
    attributesJson: text("attributes_json"),
    promisesJson: text("promises_json"),
    imagesJson: text("images_json"),
    shelfState: integer("shelf_state"),
    priceFen: integer("price_fen"),
    mallPriceFen: integer("mall_price_fen"),
    marketPriceFen: integer("market_price_fen"),
    /** Every §7 failure of the last validation: [{code, field, message}]. */
    rejectionJson: text("rejection_json").notNull().default("[]"),
    /** 申请上架 → approved/refused by an administrator (seed §5.1 step 3). */
    listingState: text("listing_state", { enum: ["none", "applied", "approved", "refused"] })
      .notNull()
      .default("none"),
    /** Why staff refused the listing, in words the supplier reads on its portal. */
    listingReason: text("listing_reason"),
    listingChangedAt: integer("listing_changed_at"),
    /** The last few message ids that touched this sku, newest last. */
    sourceMessageIdsJson: text("source_message_ids_json").notNull().default("[]"),
    detailReadAt: integer("detail_read_at"),
    priceReadAt: integer("price_read_at"),
    shelfReadAt: integer("shelf_read_at"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [
    uniqueIndex("products_supplier_sku_uq").on(t.supplierId, t.sku),
    index("products_status_idx").on(t.supplierId, t.status, t.shelfState),
    index("products_catalog_idx").on(t.interfaceCode),
    // The catalog filter matches either code: each side pages in id order on its own index.
    index("products_catalog_id_idx").on(t.catalogId, t.id),
    // Keyset pages (id order) within a supplier, a status or a listing state, and name prefix search.
    index("products_supplier_id_idx").on(t.supplierId, t.id),
    index("products_status_id_idx").on(t.status, t.id),
    index("products_listing_idx").on(t.listingState, t.id),
    index("products_sku_idx").on(t.sku),
    index("products_name_idx").on(t.name),
  ],
);

/**
 * Every price change of a sku. Past the full-history window (PRICE_HISTORY_FULL_DAYS) a Beijing day
 * keeps only its last change, which then also carries the day's lowest and highest agreement price;
 * past PRICE_HISTORY_DAILY_DAYS more, a Beijing month likewise.
 */
export const priceHistory = sqliteTable(
  "price_history",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    supplierId: integer("supplier_id").notNull(),
    sku: text("sku").notNull(),
    priceFen: integer("price_fen").notNull(),
    mallPriceFen: integer("mall_price_fen").notNull(),
    at: integer("at").notNull(),
    runId: text("run_id"),
    /** On a row that stands for a compacted day or month: the period's lowest and highest agreement price; null on a change kept as it came. */
    minPriceFen: integer("min_price_fen"),
    maxPriceFen: integer("max_price_fen"),
  },
  (t) => [
    index("price_history_sku_idx").on(t.supplierId, t.sku, t.at),
    // Compaction walks the days that left the full-history window in time order.
    index("price_history_at_idx").on(t.at),
  ],
);

/** Stock per sku and `province_city_county` area (S-8). num -1 = unknown. */
export const productStock = sqliteTable(
  "product_stock",
  {
    supplierId: integer("supplier_id").notNull(),
    sku: text("sku").notNull(),
    area: text("area").notNull(),
    num: integer("num").notNull(),
    stockStateId: integer("stock_state_id"),
    description: text("description").notNull(),
    checkedAt: integer("checked_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.supplierId, t.sku, t.area] })],
);
