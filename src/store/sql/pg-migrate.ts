import { drizzle } from "drizzle-orm/node-postgres";
import { migrate } from "drizzle-orm/node-postgres/migrator";
import pg from "pg";

/** Advisory lock key ("emall" in ASCII) that serialises migrations between instances starting together. */
const MIGRATION_LOCK_KEY = 0x656d616c6c;
const CONNECT_TIMEOUT_MS = 5_000;

/**
 * Brings a PostgreSQL database's schema up to date on one connection of its own, under an advisory
 * lock: several instances may start at once, and only one of them runs a migration. Also the first
 * proof that the database can be reached (a refused connection, a wrong password, no such database
 * fail here, with pg's error).
 */
export async function migratePostgres(options: { url: string; migrationsFolder: string; statementTimeoutMs: number; lockTimeoutMs: number }): Promise<void> {
  const client = new pg.Client({
    connectionString: options.url,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    statement_timeout: options.statementTimeoutMs,
    application_name: "emall-gateway migrate",
  });
  // An error the server sends between statements (the session ended) fails the statement in flight; without a listener it would end the process.
  client.on("error", () => undefined);
  await client.connect();
  try {
    // The lock is waited for as long as another instance migrates; the statement timeout bounds it.
    await client.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK_KEY]);
    try {
      await client.query(`SET lock_timeout = ${Math.trunc(options.lockTimeoutMs)}`);
      await migrate(drizzle(client), { migrationsFolder: options.migrationsFolder });
    } finally {
      await client.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK_KEY]);
    }
  } finally {
    await client.end().catch(() => undefined);
  }
}
