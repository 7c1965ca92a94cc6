import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type Column, type InferSelectModel, SQL, type Table, is } from "drizzle-orm";
import { PgTable, getTableConfig as pgTableConfig, integer as pgInteger, pgTable, text as pgText } from "drizzle-orm/pg-core";
import { SQLiteTable, getTableConfig as sqliteTableConfig, index as sqliteIndex, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { MIGRATIONS_FOLDER } from "../../src/store/database.js";
import * as sqliteSchema from "../../src/store/schema/index.js";
import * as pgSchema from "../../src/store/schema-pg/index.js";

/**
 * Both dialects' schemas describe one store: a table, column, index, key or constraint added to one
 * and not the other fails here, before a repository meets the difference at run time.
 */

/** SQLite storage class → the PostgreSQL types that hold the same values as the same TS type. */
const COMPATIBLE: Record<string, readonly string[]> = {
  integer: ["integer", "bigint", "boolean"],
  text: ["text"],
};

/** Name search is a trigram index on both sides, but SQLite's is an FTS5 table outside drizzle's schema. */
const PG_ONLY_INDEXES = ["products.products_name_trgm_idx"];

type ColumnShape = {
  notNull: boolean;
  primary: boolean;
  identity: boolean;
  hasDefault: boolean;
  literalDefault: unknown;
  enumValues: readonly string[] | null;
  unique: string | null;
};
type TableShape = {
  columns: Record<string, ColumnShape & { type: string }>;
  indexes: Record<string, { columns: string[]; unique: boolean }>;
  primaryKeys: string[][];
  foreignKeys: string[];
  uniqueConstraints: string[];
  checks: string[];
};

function columnShape(c: Column, identity: boolean): ColumnShape & { type: string } {
  return {
    type: c.getSQLType(),
    notNull: c.notNull,
    primary: c.primary,
    identity,
    hasDefault: c.hasDefault && !identity,
    // A flag's default is sql`true` on PostgreSQL and 1 on SQLite: only literal defaults compare.
    literalDefault: is(c.default, SQL) ? "(sql)" : c.default,
    enumValues: c.enumValues ?? null,
    unique: c.isUnique ? (c.uniqueName ?? "") : null,
  };
}

function sqliteShape(table: SQLiteTable): TableShape {
  const config = sqliteTableConfig(table);
  return {
    columns: Object.fromEntries(
      config.columns.map((c) => {
        const shape = columnShape(c, "autoIncrement" in c && c.autoIncrement === true);
        // An INTEGER PRIMARY KEY is SQLite's rowid, "defaulted" by drizzle; ours are always written.
        return [c.name, c.primary && shape.type === "integer" && !shape.identity ? { ...shape, hasDefault: false } : shape];
      }),
    ),
    indexes: Object.fromEntries(
      config.indexes.map((i) => [i.config.name, { columns: i.config.columns.map((c) => (is(c, SQL) ? "(sql)" : c.name)), unique: i.config.unique }]),
    ),
    primaryKeys: config.primaryKeys.map((pk) => pk.columns.map((c) => c.name)),
    foreignKeys: config.foreignKeys
      .map((fk) => {
        const ref = fk.reference();
        return `${ref.columns.map((c) => c.name).join(",")} → ${sqliteTableConfig(ref.foreignTable).name}(${ref.foreignColumns.map((c) => c.name).join(",")}) on delete ${fk.onDelete ?? "no action"} on update ${fk.onUpdate ?? "no action"}`;
      })
      .sort(),
    uniqueConstraints: config.uniqueConstraints.map((u) => `${u.name ?? ""}(${u.columns.map((c) => c.name).join(",")})`).sort(),
    checks: config.checks.map((c) => c.name).sort(),
  };
}

function pgShape(table: PgTable): TableShape {
  const config = pgTableConfig(table);
  return {
    columns: Object.fromEntries(config.columns.map((c) => [c.name, columnShape(c, c.generatedIdentity !== undefined)])),
    indexes: Object.fromEntries(
      config.indexes
        .filter((i) => !PG_ONLY_INDEXES.includes(`${config.name}.${i.config.name ?? ""}`))
        .map((i) => [i.config.name ?? "", { columns: i.config.columns.map((c) => ("name" in c ? (c.name ?? "") : "(sql)")), unique: i.config.unique }]),
    ),
    primaryKeys: config.primaryKeys.map((pk) => pk.columns.map((c) => c.name)),
    foreignKeys: config.foreignKeys
      .map((fk) => {
        const ref = fk.reference();
        return `${ref.columns.map((c) => c.name).join(",")} → ${pgTableConfig(ref.foreignTable).name}(${ref.foreignColumns.map((c) => c.name).join(",")}) on delete ${fk.onDelete ?? "no action"} on update ${fk.onUpdate ?? "no action"}`;
      })
      .sort(),
    uniqueConstraints: config.uniqueConstraints.map((u) => `${u.name ?? ""}(${u.columns.map((c) => c.name).join(",")})`).sort(),
    checks: config.checks.map((c) => c.name).sort(),
  };
}

function sqliteTables(schema: Record<string, unknown>): Map<string, TableShape> {
  const tables = Object.values(schema).filter((v): v is SQLiteTable => is(v, SQLiteTable));
  return new Map(tables.map((t) => [sqliteTableConfig(t).name, sqliteShape(t)]));
}

function pgTables(schema: Record<string, unknown>): Map<string, TableShape> {
  const tables = Object.values(schema).filter((v): v is PgTable => is(v, PgTable));
  return new Map(tables.map((t) => [pgTableConfig(t).name, pgShape(t)]));
}

/** Every difference between the two dialects' schemas, one line each; empty when they match. */
function differences(sqlite: Map<string, TableShape>, pg: Map<string, TableShape>): string[] {
  const out: string[] = [];
  for (const name of sqlite.keys()) if (!pg.has(name)) out.push(`${name}: table only in SQLite`);
  for (const name of pg.keys()) if (!sqlite.has(name)) out.push(`${name}: table only in PostgreSQL`);
  for (const [name, s] of sqlite) {
    const p = pg.get(name);
    if (!p) continue;
    for (const col of Object.keys(s.columns)) if (!(col in p.columns)) out.push(`${name}.${col}: column only in SQLite`);
    for (const col of Object.keys(p.columns)) if (!(col in s.columns)) out.push(`${name}.${col}: column only in PostgreSQL`);
    for (const [col, sc] of Object.entries(s.columns)) {
      const pc = p.columns[col];
      if (!pc) continue;
      if (!(COMPATIBLE[sc.type] ?? []).includes(pc.type)) out.push(`${name}.${col}: SQLite ${sc.type} vs PostgreSQL ${pc.type}`);
      const { type: _s, ...sRest } = sc;
      const { type: _p, ...pRest } = pc;
      for (const key of Object.keys(sRest) as Array<keyof ColumnShape>) {
        const a = sRest[key];
        const b = pRest[key];
        if (key === "literalDefault" && (a === "(sql)" || b === "(sql)")) continue;
        if (JSON.stringify(a) !== JSON.stringify(b)) out.push(`${name}.${col}: ${key} ${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
      }
    }
    for (const idx of new Set([...Object.keys(s.indexes), ...Object.keys(p.indexes)])) {
      const a = JSON.stringify(s.indexes[idx] ?? null);
      const b = JSON.stringify(p.indexes[idx] ?? null);
      if (a !== b) out.push(`${name} index ${idx}: ${a} vs ${b}`);
    }
    if (JSON.stringify(s.primaryKeys) !== JSON.stringify(p.primaryKeys))
      out.push(`${name} primary key: ${JSON.stringify(s.primaryKeys)} vs ${JSON.stringify(p.primaryKeys)}`);
    for (const key of ["foreignKeys", "uniqueConstraints", "checks"] as const) {
      if (JSON.stringify(s[key]) !== JSON.stringify(p[key])) out.push(`${name} ${key}: ${JSON.stringify(s[key])} vs ${JSON.stringify(p[key])}`);
    }
  }
  return out;
}

// Compile-time half: the row types are identical, so a repository typed on one dialect's rows fits the other's.
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Rows<S> = { [K in keyof S as S[K] extends Table ? K : never]: S[K] extends Table ? InferSelectModel<S[K]> : never };
const rowTypesMatch: Same<Rows<typeof sqliteSchema>, Rows<typeof pgSchema>> = true;

describe("the PostgreSQL schema mirrors the SQLite schema", () => {
  const sqlite = sqliteTables(sqliteSchema);
  const pg = pgTables(pgSchema);

  it("table by table, column by column, with the same keys, indexes and constraints", () => {
    expect(sqlite.size).toBeGreaterThan(25);
    expect([...pg.keys()].sort()).toEqual([...sqlite.keys()].sort());
    expect(differences(sqlite, pg)).toEqual([]);
    expect(rowTypesMatch).toBe(true);
  });

  it("maps epoch milliseconds and fen to bigint, 0/1 flags to boolean, autoincrement to identity", () => {
    const col = (table: string, column: string) => pg.get(table)?.columns[column];
    expect(col("orders", "created_at")?.type).toBe("bigint");
    expect(col("orders", "order_price_fen")?.type).toBe("bigint");
    expect(col("message_inbox", "next_attempt_at")?.type).toBe("bigint");
    expect(col("supplier_connections", "enabled")?.type).toBe("boolean");
    expect(col("conformance_runs", "passed")?.type).toBe("boolean");
    expect(col("message_inbox", "seq")?.identity).toBe(true);
    expect(col("sync_calls", "started_at")?.type).toBe("text");
  });

  it("keeps the name search on both sides: FTS5 trigram table in SQLite, GIN trigram index in PostgreSQL", () => {
    const sqliteMigrations = readdirSync(MIGRATIONS_FOLDER)
      .filter((f) => f.endsWith(".sql"))
      .map((f) => readFileSync(join(MIGRATIONS_FOLDER, f), "utf8"))
      .join("\n");
    expect(sqliteMigrations).toMatch(/CREATE VIRTUAL TABLE `products_name_fts` USING fts5\(.*tokenize='trigram'\)/);
    const trgm = pgTableConfig(pgSchema.products).indexes.find((i) => i.config.name === "products_name_trgm_idx");
    expect(trgm?.config.method).toBe("gin");
    expect(trgm?.config.columns.map((c) => ("indexConfig" in c ? c.indexConfig?.opClass : null))).toEqual(["gin_trgm_ops"]);
  });

  it("names every kind of drift (a schema pair that differs on purpose)", () => {
    const sParent = sqliteTable("parent", { id: integer("id").primaryKey() });
    const pParent = pgTable("parent", { id: pgInteger("id").primaryKey() });
    const s = {
      parent: sParent,
      kept: sqliteTable(
        "kept",
        {
          id: integer("id").primaryKey({ autoIncrement: true }),
          at: integer("at").notNull(),
          note: text("note"),
          state: text("state", { enum: ["a", "b"] })
            .notNull()
            .default("a"),
          code: text("code").unique(),
          parentId: integer("parent_id").references(() => sParent.id, { onDelete: "cascade" }),
        },
        (t) => [sqliteIndex("kept_at_idx").on(t.at)],
      ),
      gone: sqliteTable("gone", { id: text("id").primaryKey() }),
    };
    const p = {
      parent: pParent,
      kept: pgTable("kept", {
        id: pgInteger("id").primaryKey(),
        at: pgText("at"),
        state: pgText("state", { enum: ["a", "b", "c"] })
          .notNull()
          .default("b"),
        code: pgText("code"),
        extra: pgText("extra"),
        parentId: pgInteger("parent_id").references(() => pParent.id),
      }),
    };
    expect(differences(sqliteTables(s), pgTables(p))).toEqual([
      "gone: table only in SQLite",
      "kept.note: column only in SQLite",
      "kept.extra: column only in PostgreSQL",
      "kept.id: identity true vs false",
      "kept.at: SQLite integer vs PostgreSQL text",
      "kept.at: notNull true vs false",
      'kept.state: literalDefault "a" vs "b"',
      'kept.state: enumValues ["a","b"] vs ["a","b","c"]',
      'kept.code: unique "kept_code_unique" vs null',
      'kept index kept_at_idx: {"columns":["at"],"unique":false} vs null',
      'kept foreignKeys: ["parent_id → parent(id) on delete cascade on update no action"] vs ["parent_id → parent(id) on delete no action on update no action"]',
    ]);
  });
});
