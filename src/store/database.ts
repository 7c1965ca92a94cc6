import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { drizzle, type BetterSQLite3Database } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import * as schema from "./schema/index.js";
import { PgConnection } from "./pg-sync/pg-connection.js";
import { PgQueryError, PgSyncBridge } from "./pg-sync/sync-bridge.js";
import { openPgPoolStore } from "./sql/pg-pool-store.js";
import { asyncTransactionOpen, openSqliteSqlStore } from "./sql/sqlite-sql-store.js";
import type { SqlStore } from "./sql/sql-store.js";

export type Db = BetterSQLite3Database<typeof schema>;

/** The store handle: drizzle for repositories, the raw connection for prepared hot paths. */
export type Store = {
  readonly db: Db;
  /**
   * The raw connection for prepared statements and upkeep: better-sqlite3's on SQLite; on PostgreSQL
   * a bridge with the same surface (pg-sync/pg-connection.ts), so not every pragma means something there.
   */
  readonly connection: Database.Database;
  /**
   * The asynchronous store (sql/sql-store.ts) on the same database: on SQLite over the same
   * connection, on PostgreSQL over a pg.Pool. Repositories move onto it one aggregate at a time.
   */
  readonly sql: SqlStore;
  /** The SQLite file, or the PostgreSQL URL without its password. */
  readonly path: string;
  /** Which database: for the few statements written per dialect, and for SQLite-only upkeep (WAL, backups). */
  readonly dialect: "sqlite" | "postgres";
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

/** `onSlowTransaction`: told when an asynchronous transaction held SQLite's writer over a second (its body did more than database work). */
export function openStore(path: string, options: { onSlowTransaction?: (ms: number) => void } = {}): Store {
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
    db,
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
 * The store on PostgreSQL: the same repositories, through a connection with better-sqlite3's
 * surface. The first query connects and migrates (under an advisory lock: several instances may
 * start at once); a database that cannot be reached fails it with DatabaseUnavailableError.
 */
export function openPgStore(url: string, options: { poolSize?: number; idleInTransactionMs?: number } = {}): Store {
  const bridge = new PgSyncBridge({ url, migrationsFolder: PG_MIGRATIONS_FOLDER, statementTimeoutMs: STATEMENT_TIMEOUT_MS, lockTimeoutMs: LOCK_TIMEOUT_MS });
  const path = redactedUrl(url);
  const connection = new PgConnection(bridge, path);
  try {
    connection.prepare("SELECT 1").get();
  } catch (e) {
    connection.close();
    if (e instanceof PgQueryError) throw new DatabaseUnavailableError(path, withoutSecret(oneLine(e.reason), url), e.code);
    throw e;
  }
  const bridged = connection as unknown as Database.Database;
  // Connects on its first statement, after the bridge above has migrated the database.
  const sql = openPgPoolStore({
    url,
    poolSize: options.poolSize ?? DEFAULT_POOL_SIZE,
    idleInTransactionMs: options.idleInTransactionMs,
    statementTimeoutMs: STATEMENT_TIMEOUT_MS,
    lockTimeoutMs: LOCK_TIMEOUT_MS,
  });
  const close = () => {
    connection.close();
    void sql.close();
  };
  return { db: drizzle(bridged, { schema }), connection: bridged, sql, path, dialect: "postgres", auditLogKeyedNow: false, close };
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
export function openStoreReadOnly(path: string): Store {
  const sqlite = new Database(path, { readonly: true, fileMustExist: true });
  return {
    db: drizzle(sqlite, { schema }),
    connection: sqlite,
    sql: openSqliteSqlStore(sqlite),
    path,
    dialect: "sqlite",
    auditLogKeyedNow: false,
    close: () => sqlite.close(),
  };
}

/** Runs `work` in one short transaction: all of it lands or none of it (no I/O inside, STYLE). */
export function withTransaction<T>(store: Store, work: () => T): T {
  // On SQLite the asynchronous store shares this connection: better-sqlite3 would nest this
  // transaction inside its open one as a savepoint, to be rolled back with another caller's work.
  // Refused loudly instead of landing or vanishing with it.
  if (store.dialect === "sqlite" && asyncTransactionOpen(store.connection)) {
    throw new Error("a synchronous transaction was started while an asynchronous one is open on the same SQLite connection");
  }
  return store.connection.transaction(work).immediate();
}
