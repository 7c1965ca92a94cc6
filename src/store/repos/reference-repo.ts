import { eq, sql } from "drizzle-orm";
import type { Store } from "../database.js";
import { withTransaction } from "../database.js";
import { statementFor } from "../sql/placeholders.js";
import { areas, brandCatalogs, brands, catalogParams, catalogs, promiseOptions, storeMeta } from "../schema/index.js";

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

/**
 * Standard catalogs, brands, areas and promise options. Every write bumps one revision number
 * that readers cache on, so a reload from the CLI reaches a running gateway on its next call.
 */
export type ReferenceRepo = ReturnType<typeof createReferenceRepo>;

export function createReferenceRepo(store: Store) {
  const { db, connection: sqlite } = store;
  // Read by every mall call (readers cache on it): on the asynchronous store.
  const revisionStatement = statementFor(store.dialect)((p) => `SELECT value FROM store_meta WHERE key = ${p()}`);
  const bumpRevision = () =>
    db
      .insert(storeMeta)
      .values({ key: REVISION_KEY, value: "1" })
      .onConflictDoUpdate({ target: storeMeta.key, set: { value: sql`CAST(${storeMeta.value} AS INTEGER) + 1` } })
      .run();

  const activeCatalogs = db.select().from(catalogs).where(eq(catalogs.retired, 0)).orderBy(catalogs.level, catalogs.sort).prepare();
  const catalogById = db
    .select()
    .from(catalogs)
    .where(eq(catalogs.id, sql.placeholder("id")))
    .prepare();
  const catalogByCode = db
    .select()
    .from(catalogs)
    .where(eq(catalogs.interfaceCode, sql.placeholder("code")))
    .prepare();
  const paramsOf = db
    .select()
    .from(catalogParams)
    .where(eq(catalogParams.catalogId, sql.placeholder("id")))
    .orderBy(catalogParams.sort)
    .prepare();
  const areaByCode = db
    .select()
    .from(areas)
    .where(eq(areas.code, sql.placeholder("code")))
    .prepare();
  const areasByParent = db
    .select()
    .from(areas)
    .where(eq(areas.parentCode, sql.placeholder("parent")))
    .orderBy(areas.code)
    .prepare();

  return {
    async revision(): Promise<number> {
      const row = await store.sql.get<{ value: string }>(revisionStatement, [REVISION_KEY]);
      return row === undefined ? 0 : Number(row.value);
    },

    allCatalogs: (): CatalogRow[] => activeCatalogs.all(),
    catalogById: (id: string): CatalogRow | undefined => catalogById.get({ id }),
    catalogByInterfaceCode: (code: string): CatalogRow | undefined => catalogByCode.get({ code }),
    paramsOfCatalog: (id: string): CatalogParamRow[] => paramsOf.all({ id }),
    isEmpty: (): boolean => db.select({ id: catalogs.id }).from(catalogs).limit(1).all().length === 0,

    /** Writes one catalog edition: upserts the given catalogs, retires every other one. */
    writeCatalogEdition(entries: readonly CatalogEditionEntry[]): void {
      withTransaction(store, () => {
        const keep = new Set(entries.map((e) => e.catalog.id));
        for (const row of db.select({ id: catalogs.id }).from(catalogs).where(eq(catalogs.retired, 0)).all()) {
          if (!keep.has(row.id)) {
            // An interfaceCode may be reused by the new edition, so the retired row gives its code up.
            db.update(catalogs)
              .set({ retired: 1, interfaceCode: sql`'retired:' || ${catalogs.id} || ':' || ${catalogs.interfaceCode}` })
              .where(eq(catalogs.id, row.id))
              .run();
          }
        }
        for (const { catalog } of entries) {
          db.insert(catalogs)
            .values({ ...catalog, interfaceCode: `pending:${catalog.id}`, retired: 0 })
            .onConflictDoUpdate({ target: catalogs.id, set: { ...catalog, interfaceCode: `pending:${catalog.id}`, retired: 0 } })
            .run();
        }
        // Codes are written after every row exists, so two catalogs may swap codes within one edition.
        for (const { catalog } of entries) {
          db.update(catalogs).set({ interfaceCode: catalog.interfaceCode }).where(eq(catalogs.id, catalog.id)).run();
        }
        for (const { catalog, params } of entries) {
          if (params === null) continue;
          db.delete(catalogParams).where(eq(catalogParams.catalogId, catalog.id)).run();
          for (const p of params)
            db.insert(catalogParams)
              .values({ ...p, catalogId: catalog.id })
              .run();
        }
        bumpRevision();
      });
    },

    allCatalogRowsIncludingRetired: (): CatalogRow[] => db.select().from(catalogs).all(),

    replaceBrands(rows: readonly BrandRow[], links: ReadonlyArray<{ brandId: string; interfaceCode: string }>): void {
      withTransaction(store, () => {
        db.delete(brandCatalogs).run();
        db.delete(brands).run();
        for (const row of rows) db.insert(brands).values(row).run();
        for (const link of links) db.insert(brandCatalogs).values(link).onConflictDoNothing().run();
        bumpRevision();
      });
    },

    brandExists: (brandId: string): boolean => db.select({ id: brands.brandId }).from(brands).where(eq(brands.brandId, brandId)).limit(1).all().length > 0,

    /** One page of brands; `name` matches Chinese or English names, case-insensitively. */
    brandPage(filter: { interfaceCode?: string; name?: string; offset: number; limit: number }): { total: number; rows: BrandRow[] } {
      const where: string[] = [];
      // Only the names a statement uses are bound: PostgreSQL refuses a value with no placeholder.
      const args: Record<string, string | number> = {};
      if (filter.interfaceCode !== undefined) {
        where.push("b.brand_id IN (SELECT brand_id FROM brand_catalogs WHERE interface_code = @code)");
        args.code = filter.interfaceCode;
      }
      if (filter.name !== undefined) {
        where.push("(instr(lower(b.brand_name), lower(@name)) > 0 OR instr(lower(b.brand_en_name), lower(@name)) > 0)");
        args.name = filter.name;
      }
      const clause = where.length > 0 ? `WHERE ${where.join(" AND ")}` : "";
      const count = sqlite.prepare(`SELECT count(*) AS n FROM brands b ${clause}`).pluck();
      const total = (where.length > 0 ? count.get(args) : count.get()) as number;
      const page = { ...args, offset: filter.offset, limit: filter.limit };
      const rows = sqlite
        .prepare(
          `SELECT brand_id AS brandId, brand_name AS brandName, brand_en_name AS brandEnName, logo, sort FROM brands b ${clause} ORDER BY sort, brand_id LIMIT @limit OFFSET @offset`,
        )
        .all(page) as BrandRow[];
      return { total, rows };
    },

    replaceAreas(rows: readonly AreaRow[]): void {
      withTransaction(store, () => {
        db.delete(areas).run();
        const insert = sqlite.prepare("INSERT INTO areas (code, name, level, parent_code) VALUES (?, ?, ?, ?)");
        for (const r of rows) insert.run(r.code, r.name, r.level, r.parentCode);
        bumpRevision();
      });
    },
    areaByCode: (code: string): AreaRow | undefined => areaByCode.get({ code }),
    /** An area's name for people (null for a code the table lacks). */
    areaName: (code: string): string | null => areaByCode.get({ code })?.name ?? null,
    areasByParent: (parentCode: string): AreaRow[] => areasByParent.all({ parent: parentCode }),
    areaCount: (): number => sqlite.prepare("SELECT count(*) FROM areas").pluck().get() as number,

    replacePromiseOptions(rows: readonly PromiseOptionRow[]): void {
      withTransaction(store, () => {
        db.delete(promiseOptions).run();
        for (const r of rows) db.insert(promiseOptions).values(r).run();
        bumpRevision();
      });
    },
    allPromiseOptions: (): PromiseOptionRow[] => db.select().from(promiseOptions).orderBy(promiseOptions.sort).all(),
  };
}
