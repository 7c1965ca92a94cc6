import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { drizzle } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import * as schema from "./schema/index.js";
import { migratePostgres } from "./sql/pg-migrate.js";
import { openPgPoolStore } from "./sql/pg-pool-store.js";
import { openSqliteSqlStore } from "./sql/sqlite-sql-store.js";
import type { SqlStore } from "./sql/sql-store.js";

type StoreCommon = {
  /**
   * The store every repository works on (sql/sql-store.ts): on SQLite over the connection below,
   * on PostgreSQL over a pg.Pool. Statements are written for their database; none is rewritten.
   */
  readonly sql: SqlStore;
  /** The SQLite file, or the PostgreSQL URL without its password. */
  readonly path: string;
  /**
   * True when this open added key ids to an audit log written before the chain was keyed: the
   * one moment its rows may be re-sealed with the key (later, an unkeyed row is tampering).
   */
  readonly auditLogKeyedNow: boolean;
  close(): void;
};

/** The embedded store. */
export type SqliteStore = StoreCommon & {
  readonly dialect: "sqlite";
  /** better-sqlite3's connection under `sql`, for what only SQLite has: WAL checkpoints, online backups, integrity checks. */
  readonly connection: Database.Database;
};

export type PgStore = StoreCommon & { readonly dialect: "postgres" };

/** The store handle: which database, and the asynchronous store on it. */
export type Store = SqliteStore | PgStore;

export const MIGRATIONS_FOLDER = join(dirname(fileURLToPath(import.meta.url)), "migrations");
/** Writers wait this long for the lock instead of failing at once (CLI and server share the file). */
const BUSY_TIMEOUT_MS = 5_000;

/** `onSlowTransaction`: told when an asynchronous transaction held SQLite's writer over a second (its body did more than database work). */
export function openStore(path: string, options: { onSlowTransaction?: (ms: number) => void } = {}): SqliteStore {
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
  return {
    connection: sqlite,
    sql: openSqliteSqlStore(sqlite, options.onSlowTransaction),
    path,
    dialect: "sqlite",
    auditLogKeyedNow: auditLogUnkeyed,
    close: () => sqlite.close(),
  };
}

export const PG_MIGRATIONS_FOLDER = join(dirname(fileURLToPath(import.meta.url)), "migrations-pg");
/** No statement holds the event loop longer than this; a lock is waited for at most LOCK_TIMEOUT_MS. */
const STATEMENT_TIMEOUT_MS = 15_000;
const LOCK_TIMEOUT_MS = BUSY_TIMEOUT_MS;
/** Connections of the pool when DATABASE_POOL_SIZE does not say. */
export const DEFAULT_POOL_SIZE = 10;

/**
 * The database named by DATABASE_URL could not be opened (refused, unknown host, wrong password, no
 * such database, a migration that failed). Its message is one line for an operator: the URL without
 * its password and what PostgreSQL or the network said.
 */
export class DatabaseUnavailableError extends Error {
  override readonly name = "DatabaseUnavailableError";
  constructor(
    /** The URL with its password masked. */
    readonly database: string,
    readonly reason: string,
    /** SQLSTATE, or the network error's code (ECONNREFUSED, ENOTFOUND…). */
    readonly code: string | undefined,
  ) {
    super(`cannot open the PostgreSQL database ${database}: ${reason}`);
  }
}

/**
 * The store on PostgreSQL: a pg.Pool of `poolSize` connections. The schema is brought up to date
 * first, on a connection of its own under an advisory lock (several instances may start at once);
 * a database that cannot be reached fails the open with DatabaseUnavailableError.
 */
export async function openPgStore(
  url: string,
  options: { poolSize?: number; idleInTransactionMs?: number; onChangeFeed?: (state: { live: boolean; reason?: string }) => void } = {},
): Promise<PgStore> {
  const path = redactedUrl(url);
  try {
    await migratePostgres({ url, migrationsFolder: PG_MIGRATIONS_FOLDER, statementTimeoutMs: STATEMENT_TIMEOUT_MS, lockTimeoutMs: LOCK_TIMEOUT_MS });
  } catch (e) {
    const error = e as { message?: unknown; code?: unknown };
    const reason = typeof error.message === "string" && error.message !== "" ? error.message : String(e);
    throw new DatabaseUnavailableError(path, withoutSecret(oneLine(reason), url), typeof error.code === "string" ? error.code : undefined);
  }
  const sql = openPgPoolStore({
    url,
    poolSize: options.poolSize ?? DEFAULT_POOL_SIZE,
    idleInTransactionMs: options.idleInTransactionMs,
    changeFeed: true,
    onChangeFeed: options.onChangeFeed,
    statementTimeoutMs: STATEMENT_TIMEOUT_MS,
    lockTimeoutMs: LOCK_TIMEOUT_MS,
  });
  return { sql, path, dialect: "postgres", auditLogKeyedNow: false, close: () => void sql.close().catch(() => undefined) };
}

/**
 * Another PostgreSQL database read as it is, not migrated, on a pool of its own (one connection):
 * the one a restore replaced (backup after-restore --from). Its name is its URL without the password.
 */
export function openPgUnmigratedPool(url: string): { sql: SqlStore; name: string } {
  const sql = openPgPoolStore({ url, poolSize: 1, statementTimeoutMs: STATEMENT_TIMEOUT_MS, lockTimeoutMs: LOCK_TIMEOUT_MS });
  return { sql, name: redactedUrl(url) };
}

const oneLine = (text: string) => text.replace(/\s*\n\s*/g, " ").trim();

/** A driver message never quotes the password today; this keeps it so if one ever does. */
function withoutSecret(text: string, url: string): string {
  let password = "";
  try {
    password = decodeURIComponent(new URL(url).password);
  } catch {
    return text;
  }
  return password ? text.split(password).join("***") : text;
}

function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "postgres://(unparseable URL)";
  }
}

/** A store over an existing file, read-only and without migrations: for inspecting backups. */
export function openStoreReadOnly(path: string): SqliteStore {
  const sqlite = new Database(path, { readonly: true, fileMustExist: true });
  return {
    connection: sqlite,
    sql: openSqliteSqlStore(sqlite),
    path,
    dialect: "sqlite",
    auditLogKeyedNow: false,
    close: () => sqlite.close(),
  };
}
