import { join } from "node:path";
import pg from "pg";
import { inject } from "vitest";
import { databaseUrl } from "./pg-cluster.js";

/** The postgres project (vitest.config.ts) runs the integration suite again with every gateway on PostgreSQL. */
export const onPostgres = process.env.EMALL_TEST_DATABASE === "postgres";

let serial = 0;

/**
 * Where a test gateway keeps its data: a SQLite file in `dir`, or, in the postgres project, a
 * fresh database in the project's cluster.
 */
export async function testDatabaseUrl(dir: string, file = "gateway.db"): Promise<string> {
  if (!onPostgres) return join(dir, file);
  const socketDir = inject("pgSocketDir");
  const name = `gw_${process.pid}_${++serial}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: databaseUrl(socketDir, "postgres") });
  await admin.connect();
  try {
    // Bytewise order as in SQLite; a UTF-8 ctype so pg_trgm indexes Chinese names (under C it keeps only ASCII letters and digits).
    await admin.query(`CREATE DATABASE "${name}" TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C.utf8'`);
  } finally {
    await admin.end();
  }
  return databaseUrl(socketDir, name);
}
