import { bigint, index, integer, pgTable, primaryKey, text, uniqueIndex } from "drizzle-orm/pg-core";
import { epochMs, fen } from "./columns.js";
import { suppliers } from "./suppliers.js";

/** Mirrors src/store/schema/products.ts column by column (tests/unit/schema-parity.test.ts). */
export const products = pgTable(
  "products",
  {
    id: integer("id").primaryKey().generatedByDefaultAsIdentity(),
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
    detailJson: text("detail_json"),
    attributesJson: text("attributes_json"),
    promisesJson: text("promises_json"),
    imagesJson: text("images_json"),
    shelfState: integer("shelf_state"),
    priceFen: fen("price_fen"),
    mallPriceFen: fen("mall_price_fen"),
    marketPriceFen: fen("market_price_fen"),
    rejectionJson: text("rejection_json").notNull().default("[]"),
    listingState: text("listing_state", { enum: ["none", "applied", "approved", "refused"] })
      .notNull()
      .default("none"),
    listingReason: text("listing_reason"),
    listingChangedAt: epochMs("listing_changed_at"),
    sourceMessageIdsJson: text("source_message_ids_json").notNull().default("[]"),
    detailReadAt: epochMs("detail_read_at"),
    priceReadAt: epochMs("price_read_at"),
    shelfReadAt: epochMs("shelf_read_at"),
    createdAt: epochMs("created_at").notNull(),
    updatedAt: epochMs("updated_at").notNull(),
  },
  (t) => [
    uniqueIndex("products_supplier_sku_uq").on(t.supplierId, t.sku),
    index("products_status_idx").on(t.supplierId, t.status, t.shelfState),
    index("products_catalog_idx").on(t.interfaceCode),
    index("products_catalog_id_idx").on(t.catalogId, t.id),
    index("products_supplier_id_idx").on(t.supplierId, t.id),
    index("products_status_id_idx").on(t.status, t.id),
    index("products_listing_idx").on(t.listingState, t.id),
    index("products_sku_idx").on(t.sku),
    index("products_name_idx").on(t.name),
    // Substring search on names: where SQLite keeps an FTS5 trigram table (migration 0008), PostgreSQL
    // answers `name ILIKE '%…%'` from a GIN trigram index (pg_trgm, created by the first pg migration).
    index("products_name_trgm_idx").using("gin", t.name.op("gin_trgm_ops")),
  ],
);

export const priceHistory = pgTable(
  "price_history",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedByDefaultAsIdentity(),
    supplierId: integer("supplier_id").notNull(),
    sku: text("sku").notNull(),
    priceFen: fen("price_fen").notNull(),
    mallPriceFen: fen("mall_price_fen").notNull(),
    at: epochMs("at").notNull(),
    runId: text("run_id"),
    minPriceFen: fen("min_price_fen"),
    maxPriceFen: fen("max_price_fen"),
  },
  (t) => [index("price_history_sku_idx").on(t.supplierId, t.sku, t.at), index("price_history_at_idx").on(t.at)],
);

export const productStock = pgTable(
  "product_stock",
  {
    supplierId: integer("supplier_id").notNull(),
    sku: text("sku").notNull(),
    area: text("area").notNull(),
    num: integer("num").notNull(),
    stockStateId: integer("stock_state_id"),
    description: text("description").notNull(),
    checkedAt: epochMs("checked_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.supplierId, t.sku, t.area] })],
);
