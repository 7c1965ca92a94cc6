import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

/** Standard catalogs (品目), one edition at a time; a retired catalog stays for history. */
export const catalogs = sqliteTable(
  "catalogs",
  {
    id: text("id").primaryKey(),
    interfaceCode: text("interface_code").notNull().unique(),
    name: text("name").notNull(),
    parentId: text("parent_id").notNull(),
    level: integer("level").notNull(),
    isLeaf: integer("is_leaf").notNull(),
    version: integer("version").notNull(),
    contentHash: text("content_hash").notNull(),
    sort: integer("sort").notNull(),
    retired: integer("retired").notNull().default(0),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [index("catalogs_parent_idx").on(t.parentId)],
);

/** Parameter items of a leaf catalog (M-5). Allowed values are a JSON array of {valueID, value}. */
export const catalogParams = sqliteTable(
  "catalog_params",
  {
    catalogId: text("catalog_id")
      .notNull()
      .references(() => catalogs.id),
    attributeId: text("attribute_id").notNull(),
    attributeName: text("attribute_name").notNull(),
    inputType: integer("input_type").notNull(),
    required: integer("required").notNull(),
    unit: text("unit").notNull(),
    sort: integer("sort").notNull(),
    valuesJson: text("values_json").notNull(),
  },
  (t) => [primaryKey({ columns: [t.catalogId, t.attributeId] })],
);

export const brands = sqliteTable("brands", {
  brandId: text("brand_id").primaryKey(),
  brandName: text("brand_name").notNull(),
  brandEnName: text("brand_en_name").notNull(),
  logo: text("logo").notNull(),
  sort: integer("sort").notNull(),
});

export const brandCatalogs = sqliteTable(
  "brand_catalogs",
  {
    brandId: text("brand_id")
      .notNull()
      .references(() => brands.brandId),
    interfaceCode: text("interface_code").notNull(),
  },
  (t) => [primaryKey({ columns: [t.brandId, t.interfaceCode] }), index("brand_catalogs_code_idx").on(t.interfaceCode)],
);

/** GB/T 2260 areas: province (1), city (2), county (3). */
export const areas = sqliteTable(
  "areas",
  {
    code: text("code").primaryKey(),
    name: text("name").notNull(),
    level: integer("level").notNull(),
    parentCode: text("parent_code").notNull(),
  },
  (t) => [index("areas_parent_idx").on(t.parentCode)],
);

/** Promise, certification and 7-day-return options (M-4). */
export const promiseOptions = sqliteTable("promise_options", {
  promiseId: text("promise_id").primaryKey(),
  promiseType: integer("promise_type").notNull(),
  promiseName: text("promise_name").notNull(),
  promiseDesc: text("promise_desc").notNull(),
  needAttachment: integer("need_attachment").notNull(),
  required: integer("required").notNull(),
  interfaceCodesJson: text("interface_codes_json").notNull(),
  sort: integer("sort").notNull(),
});

/** Small key/value facts about the store, e.g. the reference-data revision caches key on. */
export const storeMeta = sqliteTable("store_meta", {
  key: text("key").primaryKey(),
  value: text("value").notNull(),
});
