import { sql } from "drizzle-orm";
import { index, integer, pgTable, primaryKey, text } from "drizzle-orm/pg-core";
import { epochMs, flag } from "./columns.js";

/** Mirrors src/store/schema/reference.ts column by column (tests/unit/schema-parity.test.ts). */
export const catalogs = pgTable(
  "catalogs",
  {
    id: text("id").primaryKey(),
    interfaceCode: text("interface_code").notNull().unique(),
    name: text("name").notNull(),
    parentId: text("parent_id").notNull(),
    level: integer("level").notNull(),
    isLeaf: flag("is_leaf").notNull(),
    version: integer("version").notNull(),
    contentHash: text("content_hash").notNull(),
    sort: integer("sort").notNull(),
    retired: flag("retired")
      .notNull()
      .default(sql`false`),
    updatedAt: epochMs("updated_at").notNull(),
  },
  (t) => [index("catalogs_parent_idx").on(t.parentId)],
);

export const catalogParams = pgTable(
  "catalog_params",
  {
    catalogId: text("catalog_id")
      .notNull()
      .references(() => catalogs.id),
    attributeId: text("attribute_id").notNull(),
    attributeName: text("attribute_name").notNull(),
    inputType: integer("input_type").notNull(),
    required: flag("required").notNull(),
    unit: text("unit").notNull(),
    sort: integer("sort").notNull(),
    valuesJson: text("values_json").notNull(),
  },
  (t) => [primaryKey({ columns: [t.catalogId, t.attributeId] })],
);

export const brands = pgTable("brands", {
  brandId: text("brand_id").primaryKey(),
  brandName: text("brand_name").notNull(),
  brandEnName: text("brand_en_name").notNull(),
  logo: text("logo").notNull(),
  sort: integer("sort").notNull(),
});

export const brandCatalogs = pgTable(
  "brand_catalogs",
  {
    brandId: text("brand_id")
      .notNull()
      .references(() => brands.brandId),
    interfaceCode: text("interface_code").notNull(),
  },
  (t) => [primaryKey({ columns: [t.brandId, t.interfaceCode] }), index("brand_catalogs_code_idx").on(t.interfaceCode)],
);

export const areas = pgTable(
  "areas",
  {
    code: text("code").primaryKey(),
    name: text("name").notNull(),
    level: integer("level").notNull(),
    parentCode: text("parent_code").notNull(),
  },
  (t) => [index("areas_parent_idx").on(t.parentCode)],
);

export const promiseOptions = pgTable("promise_options", {
  promiseId: text("promise_id").primaryKey(),
  promiseType: integer("promise_type").notNull(),
  promiseName: text("promise_name").notNull(),
  promiseDesc: text("promise_desc").notNull(),
  needAttachment: flag("need_attachment").notNull(),
  required: flag("required").notNull(),
  interfaceCodesJson: text("interface_codes_json").notNull(),
  sort: integer("sort").notNull(),
});

export const storeMeta = pgTable("store_meta", {
  key: text("key").primaryKey(),
  value: text("value").notNull(),
});
