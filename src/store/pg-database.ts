import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { drizzle, type NodePgDatabase } from "drizzle-orm/node-postgres";
import { migrate } from "drizzle-orm/node-postgres/migrator";
import pg from "pg";
import * as schema from "./schema-pg/index.js";

export type PgDb = NodePgDatabase<typeof schema>;

/** The PostgreSQL store handle: drizzle over a connection pool. */
export type PgStore = {
  readonly db: PgDb;
  readonly pool: pg.Pool;
  close(): Promise<void>;
};

export const PG_MIGRATIONS_FOLDER = join(dirname(fileURLToPath(import.meta.url)), "migrations-pg");
/** Enough for the HTTP handlers, a drain and the order pusher at once; PostgreSQL's default cap is 100. */
const POOL_SIZE = 10;
/** Advisory lock key ("emall" in ASCII) that serialises migrations between instances starting together. */
const MIGRATION_LOCK_KEY = 0x656d616c6c;

/**
 * Connects and brings the schema up to date. Several gateways may start at once on one database:
 * the advisory lock lets one of them migrate while the others wait and then find nothing to do.
 */
export async function openPgStore(url: string, options: { onConnectionError?: (err: Error) => void } = {}): Promise<PgStore> {
  const pool = new pg.Pool({ connectionString: url, max: POOL_SIZE });
  // An idle connection the server dropped is discarded and replaced on next use; without a listener
  // the pool's "error" event would end the process.
  pool.on("error", (err) => options.onConnectionError?.(err));
  try {
    await migrateUnderLock(pool);
  } catch (e) {
    await pool.end();
    throw e;
  }
  return { db: drizzle(pool, { schema }), pool, close: () => pool.end() };
}

async function migrateUnderLock(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  // A failed migration closes its connection rather than return it to the pool holding the lock.
  let failed = false;
  try {
    await client.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK_KEY]);
    await migrate(drizzle(client, { schema }), { migrationsFolder: PG_MIGRATIONS_FOLDER });
    await client.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK_KEY]);
  } catch (e) {
    failed = true;
    throw e;
  } finally {
    client.release(failed);
  }
}
