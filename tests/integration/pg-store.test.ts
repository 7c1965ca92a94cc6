import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { pathToFileURL } from "node:url";
import { is } from "drizzle-orm";
import { PgTable, getTableConfig } from "drizzle-orm/pg-core";
import pg from "pg";
import { DatabaseUnavailableError, PG_MIGRATIONS_FOLDER, openPgStore } from "../../src/store/database.js";
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
    (await openPgStore(cluster().url)).close();
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
    const first = await openPgStore(cluster().url);
    await first.sql.run("INSERT INTO store_meta (key, value) VALUES ($1, $2)", ["probe", "kept"]);
    await first.sql.close();

    const again = await openPgStore(cluster().url);
    const rows = await again.sql.all("SELECT key, value FROM store_meta WHERE key = $1", ["probe"]);
    await again.sql.close();

    expect(rows).toEqual([{ key: "probe", value: "kept" }]);
    expect(await catalogSnapshot(cluster().url)).toEqual(before);
  });

  it("reads epoch milliseconds back as numbers and flags as 1/0, as the SQLite store does, through the asynchronous store", async () => {
    const store = await openPgStore(cluster().url);
    try {
      const supplier = await store.sql.get<{ id: number; createdAt: unknown }>(
        `INSERT INTO suppliers (code, name, credit_code) VALUES ($1, $2, $3) RETURNING id, created_at AS "createdAt"`,
        ["S-RT", "round trip", "91120000MA05RT0001"],
      );
      if (!supplier) throw new Error("supplier not inserted");
      expect(typeof supplier.createdAt).toBe("number");
      expect(supplier.createdAt).toBeGreaterThan(Date.now() - 60_000);
      const at = Date.UTC(2030, 0, 1);
      await store.sql.run(
        "INSERT INTO supplier_connections (supplier_id, base_url, username, password_enc, app_secret_enc, sign_mode, body_format, pull_schedule, " +
          "stock_schedule, stock_areas_json, max_concurrent, qps, timeout_ms, enabled, created_at, updated_at) " +
          "VALUES ($1, 'http://127.0.0.1:1', 'u', 'p', 's', 'hmac-sha256', 'form', '*/5 * * * *', '0 * * * *', '[]', 4, 10, 5000, $2, $3, $3)",
        [supplier.id, false, at],
      );
      const connection = await store.sql.get<{ supplierId: number; createdAt: number; enabled: unknown }>(
        `SELECT supplier_id AS "supplierId", created_at AS "createdAt", enabled FROM supplier_connections WHERE supplier_id = $1`,
        [supplier.id],
      );
      expect(connection).toMatchObject({ supplierId: supplier.id, createdAt: at });
      expect(connection?.enabled).toBe(0);

      await store.sql.run("UPDATE supplier_connections SET enabled = $1 WHERE supplier_id = $2", [true, supplier.id]);
      const raw = await query<{ enabled: boolean }>(cluster().url, `SELECT enabled FROM supplier_connections WHERE supplier_id = ${supplier.id}`);
      expect(raw).toEqual([{ enabled: true }]);
      expect((await store.sql.get("SELECT enabled FROM supplier_connections WHERE supplier_id = $1", [supplier.id]))?.enabled).toBe(1);
    } finally {
      await store.sql.close();
    }
  });

  it("migrates once when several instances start together on an empty database", async () => {
    const url = await cluster().createDatabase("instances");
    // Three processes, as three gateways starting at once: each opens the store, which migrates under the advisory lock.
    const script = `import { openPgStore } from ${JSON.stringify(pathToFileURL(join(process.cwd(), "src/store/database.ts")).href)}; (await openPgStore(process.env.URL)).close();`;
    const starts = [1, 2, 3].map(() =>
      run(process.execPath, ["--import", TSX, "--input-type=module", "-e", script], { env: { ...process.env, URL: url }, timeout: 60_000 }),
    );
    await Promise.all(starts);
    const snap = await catalogSnapshot(url);
    expect(snap.applied).toBe(journal.entries.length);
    expect(snap.indexes.map((i) => i.indexname)).toContain("products_name_trgm_idx");
  }, 90_000);

  it("refuses a database that does not exist with the server's reason", async () => {
    const missing = cluster().url.replace("/gateway?", "/no_such_database?");
    await expect(openPgStore(missing)).rejects.toThrow(DatabaseUnavailableError);
    await expect(openPgStore(missing)).rejects.toThrow(/database "no_such_database" does not exist/);
  });
});
