import type { SqliteStore, Store } from "../../src/store/database.js";
import type { Row } from "../../src/store/sql/sql-store.js";

/**
 * A test's own statements on the store's database, through its asynchronous store (`store.sql`):
 * what a test sets up, breaks on purpose or checks behind the product's back. Written once with `?`
 * placeholders; on PostgreSQL they are numbered `$1`, `$2`… (a `?` inside a single-quoted literal is
 * left alone). Nothing else is rewritten: a statement that differs between the databases is written
 * for each in the test.
 *
 * For tests' own statements only. Product code writes each dialect's statement itself
 * (src/store/sql/placeholders.ts) and never goes through this.
 */
export type RawSql = {
  readonly dialect: "sqlite" | "postgres";
  all<R = Row>(text: string, ...values: unknown[]): Promise<R[]>;
  get<R = Row>(text: string, ...values: unknown[]): Promise<R | undefined>;
  /** The first column of the first row, or undefined when there is no row. */
  value<T = unknown>(text: string, ...values: unknown[]): Promise<T | undefined>;
  /** The number of rows the statement changed. */
  run(text: string, ...values: unknown[]): Promise<number>;
  /** A script of statements without values (DDL, several statements separated by `;`). */
  exec(text: string): Promise<void>;
};

export function rawSql(store: Store): RawSql {
  const { sql, dialect } = store;
  const text = (statement: string) => (dialect === "postgres" ? numbered(statement) : statement);
  return {
    dialect,
    all: <R = Row>(statement: string, ...values: unknown[]) => sql.all<R>(text(statement), values),
    get: <R = Row>(statement: string, ...values: unknown[]) => sql.get<R>(text(statement), values),
    async value<T = unknown>(statement: string, ...values: unknown[]) {
      const row = await sql.get(text(statement), values);
      return row === undefined ? undefined : (Object.values(row)[0] as T);
    },
    run: (statement: string, ...values: unknown[]) => sql.run(text(statement), values),
    async exec(script: string) {
      // A query without values goes to PostgreSQL as one simple query, which may hold several statements.
      if (dialect === "postgres") await sql.run(script);
      else (store as SqliteStore).connection.exec(script);
    },
  };
}

/** `?` → `$1`, `$2`…, outside single-quoted literals (a doubled `''` inside one keeps it open). */
export function numbered(statement: string): string {
  let n = 0;
  let quoted = false;
  let out = "";
  for (const ch of statement) {
    if (ch === "'") quoted = !quoted;
    out += ch === "?" && !quoted ? `$${++n}` : ch;
  }
  return out;
}

/** The store on SQLite, for what only SQLite has (its connection: backups, pragmas, checkpoints); anything else is a mistake in the test. */
export function sqliteOnly(store: Store): SqliteStore {
  if (store.dialect !== "sqlite") throw new Error(`this step is SQLite's, and the store is on ${store.dialect}`);
  return store;
}
