import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { drizzle, type BetterSQLite3Database } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import * as schema from "./schema/index.js";

export type Db = BetterSQLite3Database<typeof schema>;

/** The store handle: drizzle for repositories, the raw connection for prepared hot paths. */
export type Store = {
  readonly db: Db;
  readonly sqlite: Database.Database;
  readonly path: string;
  /**
   * True when this open added key ids to an audit log written before the chain was keyed: the
   * one moment its rows may be re-sealed with the key (later, an unkeyed row is tampering).
   */
  readonly auditLogKeyedNow: boolean;
  close(): void;
};

export const MIGRATIONS_FOLDER = join(dirname(fileURLToPath(import.meta.url)), "migrations");
/** Writers wait this long for the lock instead of failing at once (CLI and server share the file). */
const BUSY_TIMEOUT_MS = 5_000;

export function openStore(path: string): Store {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  const sqlite = new Database(path);
  sqlite.pragma("journal_mode = WAL");
  sqlite.pragma("foreign_keys = ON");
  sqlite.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  // WAL + NORMAL is durable against process crashes; only an OS crash can lose the last commits.
  sqlite.pragma("synchronous = NORMAL");
  const db = drizzle(sqlite, { schema });
  const auditColumns = sqlite.prepare("SELECT name FROM pragma_table_info('audit_log')").all() as Array<{ name: string }>;
  const auditLogUnkeyed = auditColumns.length > 0 && !auditColumns.some((c) => c.name === "key_id");
  migrate(db, { migrationsFolder: MIGRATIONS_FOLDER });
  return { db, sqlite, path, auditLogKeyedNow: auditLogUnkeyed, close: () => sqlite.close() };
}

/** A store over an existing file, read-only and without migrations: for inspecting backups. */
export function openStoreReadOnly(path: string): Store {
  const sqlite = new Database(path, { readonly: true, fileMustExist: true });
  return { db: drizzle(sqlite, { schema }), sqlite, path, auditLogKeyedNow: false, close: () => sqlite.close() };
}

/** Runs `work` in one short transaction: all of it lands or none of it (no I/O inside, STYLE). */
export function withTransaction<T>(store: Store, work: () => T): T {
  return store.sqlite.transaction(work).immediate();
}
