import { getTableColumns } from "drizzle-orm";
import { areas, brandCatalogs, brands, catalogParams, catalogs, promiseOptions } from "../schema/index.js";
import { statementFor } from "../sql/placeholders.js";
import type { SqlRunner, SqlStore } from "../sql/sql-store.js";
import { bulkInsert, rowInsert } from "./bulk-rows.js";
import { conflictUpdateSql, selectColumns } from "./row-sql.js";

export type CatalogRow = typeof catalogs.$inferSelect;
export type CatalogParamRow = typeof catalogParams.$inferSelect;
export type BrandRow = typeof brands.$inferSelect;
export type AreaRow = typeof areas.$inferSelect;
export type PromiseOptionRow = typeof promiseOptions.$inferSelect;

export type CatalogEditionEntry = {
  catalog: Omit<CatalogRow, "retired">;
  /** Replaced wholesale when given; left alone when the catalog's content did not change. */
  params: Array<Omit<CatalogParamRow, "catalogId">> | null;
};

const REVISION_KEY = "reference_revision";
/** Rows per INSERT on PostgreSQL: one round trip each, and a parameter of bounded size (a brand list may be long). */
const BULK_ROWS = 1_000;

const CATALOG = selectColumns(catalogs);
const PARAM = selectColumns(catalogParams);
const AREA = selectColumns(areas);
const PROMISE = selectColumns(promiseOptions);
const BRAND = selectColumns(brands);
const keysOf = (table: Parameters<typeof getTableColumns>[0]) => Object.keys(getTableColumns(table));
const CATALOG_KEYS = keysOf(catalogs);

/**
 * Standard catalogs, brands, areas and promise options. Every write bumps one revision number
 * that readers cache on, in the write's own transaction, so a reload from the CLI reaches a
 * running gateway on its next call.
 */
export type ReferenceRepo = ReturnType<typeof createReferenceRepo>;

export function createReferenceRepo(sql: SqlStore) {
  const { dialect } = sql;
  const onPostgres = dialect === "postgres";
  const statement = statementFor(dialect);
  // Flags are booleans on PostgreSQL, 0/1 on SQLite.
  const [NO, YES] = onPostgres ? ["false", "true"] : ["0", "1"];

  /** One page of brands: the count and the rows, for each combination of filters (values: code, then the name twice). */
  const brandStatements = (byCode: boolean, byName: boolean) => {
    const clause = (p: () => string) => {
      const where: string[] = [];
      if (byCode) where.push(`b.brand_id IN (SELECT brand_id FROM brand_catalogs WHERE interface_code = ${p()})`);
      // A substring of either name, ignoring case: instr on SQLite, strpos on PostgreSQL.
      const contains = onPostgres
        ? (column: string) => `strpos(lower(${column}), lower(${p()})) > 0`
        : (column: string) => `instr(lower(${column}), lower(${p()})) > 0`;
      if (byName) where.push(`(${contains("b.brand_name")} OR ${contains("b.brand_en_name")})`);
      return where.length > 0 ? `WHERE ${where.join(" AND ")} ` : "";
    };
    return {
      count: statement((p) => `SELECT count(*) AS n FROM brands b ${clause(p)}`.trimEnd()),
      page: statement((p) => `SELECT ${BRAND} FROM brands b ${clause(p)}ORDER BY sort, brand_id LIMIT ${p()} OFFSET ${p()}`),
    };
  };

  const S = {
    revision: statement((p) => `SELECT value FROM store_meta WHERE key = ${p()}`),
    bumpRevision: statement(
      (p) =>
        `INSERT INTO store_meta (key, value) VALUES (${p()}, '1') ON CONFLICT (key) DO UPDATE SET value = ` +
        (onPostgres ? "CAST(CAST(store_meta.value AS BIGINT) + 1 AS TEXT)" : "CAST(store_meta.value AS INTEGER) + 1"),
    ),
    activeCatalogs: `SELECT ${CATALOG} FROM catalogs WHERE retired = ${NO} ORDER BY level, sort`,
    catalogById: statement((p) => `SELECT ${CATALOG} FROM catalogs WHERE id = ${p()}`),
    catalogByCode: statement((p) => `SELECT ${CATALOG} FROM catalogs WHERE interface_code = ${p()}`),
    paramsOf: statement((p) => `SELECT ${PARAM} FROM catalog_params WHERE catalog_id = ${p()} ORDER BY sort`),
    anyCatalog: "SELECT id FROM catalogs LIMIT 1",
    everyCatalog: `SELECT ${CATALOG} FROM catalogs`,
    // An interfaceCode may be reused by the new edition, so the retired row gives its code up.
    retire: statement((p) => `UPDATE catalogs SET retired = ${YES}, interface_code = 'retired:' || id || ':' || interface_code WHERE id = ${p()}`),
    upsertCatalog: rowInsert(catalogs, CATALOG_KEYS, conflictUpdateSql(catalogs, CATALOG_KEYS, ["id"], []), dialect),
    setCode: statement((p) => `UPDATE catalogs SET interface_code = ${p()} WHERE id = ${p()}`),
    dropParams: statement((p) => `DELETE FROM catalog_params WHERE catalog_id = ${p()}`),
    brandExists: statement((p) => `SELECT brand_id FROM brands WHERE brand_id = ${p()} LIMIT 1`),
    brandPages: {
      all: brandStatements(false, false),
      byCode: brandStatements(true, false),
      byName: brandStatements(false, true),
      byCodeAndName: brandStatements(true, true),
    },
    areaByCode: statement((p) => `SELECT ${AREA} FROM areas WHERE code = ${p()}`),
    areasByParent: statement((p) => `SELECT ${AREA} FROM areas WHERE parent_code = ${p()} ORDER BY code`),
    areaCount: "SELECT count(*) AS n FROM areas",
    allPromiseOptions: `SELECT ${PROMISE} FROM promise_options ORDER BY sort`,
  };

  // PostgreSQL: a chunk of rows in one statement (bulk-rows.ts); SQLite: a prepared statement per row.
  const inserts = (table: Parameters<typeof rowInsert>[0], tail = "") =>
    onPostgres ? bulkInsert(table, keysOf(table), tail) : rowInsert(table, keysOf(table), tail);
  const W = {
    params: inserts(catalogParams),
    brands: inserts(brands),
    links: inserts(brandCatalogs, "ON CONFLICT DO NOTHING"),
    areas: inserts(areas),
    promises: inserts(promiseOptions),
  };
  const writeRows = async (tx: SqlRunner, kind: keyof typeof W, rows: ReadonlyArray<Readonly<Record<string, unknown>>>): Promise<void> => {
    const w = W[kind];
    if ("json" in w) {
      for (let i = 0; i < rows.length; i += BULK_ROWS) await tx.run(w.sql, [w.json(rows.slice(i, i + BULK_ROWS))]);
    } else for (const row of rows) await tx.run(w.sql, w.values(row));
  };
  const bumpRevision = async (tx: SqlRunner): Promise<void> => {
    await tx.run(S.bumpRevision, [REVISION_KEY]);
    // This process's next call sees it at once; other instances hear the trigger's notification.
    tx.afterCommit(() => sql.changes.changed("reference"));
  };
  /** Empties a table and fills it with `rows`, bumping the revision, in one transaction. */
  const replaceAll = (table: "areas" | "promise_options", kind: "areas" | "promises", rows: ReadonlyArray<Readonly<Record<string, unknown>>>) =>
    sql.transaction(async (tx) => {
      await tx.run(`DELETE FROM ${table}`);
      await writeRows(tx, kind, rows);
      await bumpRevision(tx);
    });
  const countOf = (row: { n: number | string } | undefined): number => Number(row?.n ?? 0);

  return {
    /** Read on every mall call: from memory while the change feed hears that it has not moved. */
    revision(): Promise<number> {
      return sql.changes.cached("reference", REVISION_KEY, async () => {
        const row = await sql.get<{ value: string }>(S.revision, [REVISION_KEY]);
        return row === undefined ? 0 : Number(row.value);
      });
    },

    allCatalogs: (): Promise<CatalogRow[]> => sql.all<CatalogRow>(S.activeCatalogs),
    catalogById: (id: string): Promise<CatalogRow | undefined> => sql.get<CatalogRow>(S.catalogById, [id]),
    catalogByInterfaceCode: (code: string): Promise<CatalogRow | undefined> => sql.get<CatalogRow>(S.catalogByCode, [code]),
    paramsOfCatalog: (id: string): Promise<CatalogParamRow[]> => sql.all<CatalogParamRow>(S.paramsOf, [id]),
    isEmpty: async (): Promise<boolean> => (await sql.get(S.anyCatalog)) === undefined,

    /**
     * Writes one catalog edition: `plan` turns every stored catalog (retired ones included) into the
     * edition's entries, read in the same transaction as the write; the given catalogs are upserted
     * and every other active one retired. Answers the plan and how many catalogs it retired.
     */
    writeCatalogEdition<P extends { entries: readonly CatalogEditionEntry[] }>(
      plan: (existing: readonly CatalogRow[]) => P,
    ): Promise<{ plan: P; retired: number }> {
      return sql.transaction(async (tx) => {
        const existing = await tx.all<CatalogRow>(S.everyCatalog);
        const planned = plan(existing);
        const entries = planned.entries;
        const keep = new Set(entries.map((e) => e.catalog.id));
        let retired = 0;
        for (const row of existing) {
          if (row.retired === 0 && !keep.has(row.id)) {
            await tx.run(S.retire, [row.id]);
            retired++;
          }
        }
        for (const { catalog } of entries) {
          await tx.run(S.upsertCatalog.sql, S.upsertCatalog.values({ ...catalog, interfaceCode: `pending:${catalog.id}`, retired: 0 }));
        }
        // Codes are written after every row exists, so two catalogs may swap codes within one edition.
        for (const { catalog } of entries) await tx.run(S.setCode, [catalog.interfaceCode, catalog.id]);
        for (const { catalog, params } of entries) {
          if (params === null) continue;
          await tx.run(S.dropParams, [catalog.id]);
          await writeRows(
            tx,
            "params",
            params.map((p) => ({ ...p, catalogId: catalog.id })),
          );
        }
        await bumpRevision(tx);
        return { plan: planned, retired };
      });
    },

    replaceBrands(rows: readonly BrandRow[], links: ReadonlyArray<{ brandId: string; interfaceCode: string }>): Promise<void> {
      return sql.transaction(async (tx) => {
        await tx.run("DELETE FROM brand_catalogs");
        await tx.run("DELETE FROM brands");
        await writeRows(tx, "brands", rows);
        await writeRows(tx, "links", links);
        await bumpRevision(tx);
      });
    },

    brandExists: async (brandId: string): Promise<boolean> => (await sql.get(S.brandExists, [brandId])) !== undefined,

    /** One page of brands; `name` matches Chinese or English names, case-insensitively. */
    async brandPage(filter: { interfaceCode?: string; name?: string; offset: number; limit: number }): Promise<{ total: number; rows: BrandRow[] }> {
      const { interfaceCode, name } = filter;
      const byCode = interfaceCode !== undefined;
      const byName = name !== undefined;
      const s = byCode ? (byName ? S.brandPages.byCodeAndName : S.brandPages.byCode) : byName ? S.brandPages.byName : S.brandPages.all;
      const values = [...(byCode ? [interfaceCode] : []), ...(byName ? [name, name] : [])];
      const total = countOf(await sql.get<{ n: number }>(s.count, values));
      const rows = await sql.all<BrandRow>(s.page, [...values, filter.limit, filter.offset]);
      return { total, rows };
    },

    replaceAreas: (rows: readonly AreaRow[]): Promise<void> => replaceAll("areas", "areas", rows),
    areaByCode: (code: string): Promise<AreaRow | undefined> => sql.get<AreaRow>(S.areaByCode, [code]),
    /** An area's name for people (null for a code the table lacks). */
    areaName: async (code: string): Promise<string | null> => (await sql.get<AreaRow>(S.areaByCode, [code]))?.name ?? null,
    areasByParent: (parentCode: string): Promise<AreaRow[]> => sql.all<AreaRow>(S.areasByParent, [parentCode]),
    areaCount: async (): Promise<number> => countOf(await sql.get<{ n: number }>(S.areaCount)),

    replacePromiseOptions: (rows: readonly PromiseOptionRow[]): Promise<void> => replaceAll("promise_options", "promises", rows),
    allPromiseOptions: (): Promise<PromiseOptionRow[]> => sql.all<PromiseOptionRow>(S.allPromiseOptions),
  };
}
