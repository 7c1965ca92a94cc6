import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { pathToFileURL } from "node:url";
import { eq, is } from "drizzle-orm";
import { PgTable, getTableConfig } from "drizzle-orm/pg-core";
import pg from "pg";
import { DatabaseUnavailableError, PG_MIGRATIONS_FOLDER, openPgStore } from "../../src/store/database.js";
import * as schema from "../../src/store/schema/index.js";
import * as pgSchema from "../../src/store/schema-pg/index.js";
import { useThrowawayCluster } from "../helpers/pg-cluster.js";

/** The pg migrations on a real PostgreSQL 15 cluster, through the store's own open path. */
const run = promisify(execFile);
const TSX = pathToFileURL(join(process.cwd(), "node_modules/tsx/dist/loader.mjs")).href;
const tables = (Object.values(pgSchema) as unknown[]).filter((v): v is PgTable => is(v, PgTable)).map((t) => getTableConfig(t));
const journal = JSON.parse(readFileSync(join(PG_MIGRATIONS_FOLDER, "meta", "_journal.json"), "utf8")) as { entries: unknown[] };

const cluster = useThrowawayCluster();

async function query<T>(url: string, text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text)).rows as T[];
  } finally {
    await client.end();
  }
}

/** Every column and index of the public schema as PostgreSQL reports them: what migrations left behind. */
async function catalogSnapshot(url: string) {
  const columns = await query<{ table_name: string; column_name: string; data_type: string }>(
    url,
    "SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = 'public' ORDER BY table_name, column_name",
  );
  const indexes = await query<{ indexname: string; indexdef: string }>(
    url,
    "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY indexname",
  );
  const applied = await query<{ n: string }>(url, "SELECT count(*) AS n FROM drizzle.__drizzle_migrations");
  return { columns, indexes, applied: Number(applied[0]?.n) };
}

describe("openPgStore on a fresh PostgreSQL database", () => {
  it("creates every table, column and index of the pg schema, with pg_trgm behind the name search", async () => {
    openPgStore(cluster().url).close();
    const snap = await catalogSnapshot(cluster().url);

    const expectedColumns = tables.flatMap((t) => t.columns.map((c) => `${t.name}.${c.name}`)).sort();
    expect(snap.columns.map((c) => `${c.table_name}.${c.column_name}`)).toEqual(expectedColumns);
    const typeOf = (table: string, column: string) => snap.columns.find((c) => c.table_name === table && c.column_name === column)?.data_type;
    expect(typeOf("orders", "created_at")).toBe("bigint");
    expect(typeOf("supplier_connections", "enabled")).toBe("boolean");

    const indexNames = snap.indexes.map((i) => i.indexname);
    for (const t of tables) for (const i of t.indexes) expect(indexNames).toContain(i.config.name);
    expect(snap.indexes.find((i) => i.indexname === "products_name_trgm_idx")?.indexdef).toMatch(/USING gin \(name gin_trgm_ops\)/);
    expect(snap.indexes.find((i) => i.indexname === "products_supplier_sku_uq")?.indexdef).toMatch(/^CREATE UNIQUE INDEX/);
    expect(await query(cluster().url, "SELECT extname FROM pg_extension WHERE extname = 'pg_trgm'")).toHaveLength(1);
    expect(snap.applied).toBe(journal.entries.length);
  });

  it("finds nothing to do the second time, and keeps the rows already there", async () => {
    const before = await catalogSnapshot(cluster().url);
    const first = openPgStore(cluster().url);
    first.db.insert(schema.storeMeta).values({ key: "probe", value: "kept" }).run();
    first.close();

    const again = openPgStore(cluster().url);
    const rows = again.db.select().from(schema.storeMeta).where(eq(schema.storeMeta.key, "probe")).all();
    again.close();

    expect(rows).toEqual([{ key: "probe", value: "kept" }]);
    expect(await catalogSnapshot(cluster().url)).toEqual(before);
  });

  it("reads epoch milliseconds and fen back as numbers and flags as the SQLite store does, through the repositories' own schema", async () => {
    const store = openPgStore(cluster().url);
    try {
      const supplier = store.db.insert(schema.suppliers).values({ code: "S-RT", name: "round trip", creditCode: "91120000MA05RT0001" }).returning().get();
      expect(typeof supplier.createdAt).toBe("number");
      expect(supplier.createdAt).toBeGreaterThan(Date.now() - 60_000);
      const at = Date.UTC(2030, 0, 1);
      store.db
        .insert(schema.supplierConnections)
        .values({
          supplierId: supplier.id,
          baseUrl: "http://127.0.0.1:1",
          username: "u",
          passwordEnc: "p",
          appSecretEnc: "s",
          signMode: "hmac-sha256",
          bodyFormat: "form",
          pullSchedule: "*/5 * * * *",
          stockSchedule: "0 * * * *",
          stockAreasJson: "[]",
          maxConcurrent: 4,
          qps: 10,
          timeoutMs: 5_000,
          enabled: 0,
          createdAt: at,
          updatedAt: at,
        } as typeof schema.supplierConnections.$inferInsert)
        .run();
      const connection = store.db.select().from(schema.supplierConnections).where(eq(schema.supplierConnections.supplierId, supplier.id)).get();
      expect(connection).toMatchObject({ supplierId: supplier.id, createdAt: at });
      expect(Boolean(connection?.enabled)).toBe(false);

      store.db
        .update(schema.supplierConnections)
        .set({ enabled: 1 } as Partial<typeof schema.supplierConnections.$inferInsert>)
        .where(eq(schema.supplierConnections.supplierId, supplier.id))
        .run();
      const raw = await query<{ enabled: boolean }>(cluster().url, `SELECT enabled FROM supplier_connections WHERE supplier_id = ${supplier.id}`);
      expect(raw).toEqual([{ enabled: true }]);
    } finally {
      store.close();
    }
  });

  it("migrates once when several instances start together on an empty database", async () => {
    const url = await cluster().createDatabase("instances");
    // Three processes, as three gateways starting at once: each opens the store, which migrates under the advisory lock.
    const script = `import { openPgStore } from ${JSON.stringify(pathToFileURL(join(process.cwd(), "src/store/database.ts")).href)}; openPgStore(process.env.URL).close();`;
    const starts = [1, 2, 3].map(() =>
      run(process.execPath, ["--import", TSX, "--input-type=module", "-e", script], { env: { ...process.env, URL: url }, timeout: 60_000 }),
    );
    await Promise.all(starts);
    const snap = await catalogSnapshot(url);
    expect(snap.applied).toBe(journal.entries.length);
    expect(snap.indexes.map((i) => i.indexname)).toContain("products_name_trgm_idx");
  }, 90_000);

  it("refuses a database that does not exist with the server's reason", () => {
    const missing = cluster().url.replace("/gateway?", "/no_such_database?");
    expect(() => openPgStore(missing)).toThrow(DatabaseUnavailableError);
    expect(() => openPgStore(missing)).toThrow(/database "no_such_database" does not exist/);
  });
});
