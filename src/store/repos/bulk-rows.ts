import { getTableName } from "drizzle-orm";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";
import { columnNames } from "./row-sql.js";

/**
 * PostgreSQL only: many rows in one INSERT, so a chunk's rows cost one round trip on the pool, not
 * one each. The rows go as one JSON array, read back as rows of the table's own types, in the
 * array's order. SQLite keeps its prepared statement per row, which costs no round trip.
 */
export type BulkInsert = {
  /** `INSERT INTO t (…) SELECT … FROM json_populate_recordset(NULL::t, $1::json)`, then `tail` (ON CONFLICT, RETURNING). */
  readonly sql: string;
  /** The one parameter: the rows keyed by column name. */
  json(rows: ReadonlyArray<Readonly<Record<string, unknown>>>): string;
};

export function bulkInsert(table: SQLiteTable, keys: readonly string[], tail = ""): BulkInsert {
  const names = columnNames(table, keys);
  const list = names.map((n) => `"${n}"`).join(", ");
  const name = getTableName(table);
  return {
    sql:
      `INSERT INTO "${name}" (${list}) SELECT ${list} FROM json_populate_recordset(NULL::"${name}", $1::json) WITH ORDINALITY AS r ` +
      `ORDER BY r.ordinality${tail ? ` ${tail}` : ""}`,
    json: (rows) => JSON.stringify(rows.map((row) => Object.fromEntries(keys.map((key, i) => [names[i], row[key] ?? null])))),
  };
}

/** `INSERT INTO t (keys) VALUES (…)`, placeholders for `dialect` (SQLite's by default): one row a statement, its values in `keys` order. */
export function rowInsert(
  table: SQLiteTable,
  keys: readonly string[],
  tail = "",
  dialect: "sqlite" | "postgres" = "sqlite",
): { sql: string; values(row: Readonly<Record<string, unknown>>): unknown[] } {
  const names = columnNames(table, keys);
  const placeholders = keys.map((_, i) => (dialect === "postgres" ? `$${i + 1}` : "?"));
  return {
    sql: `INSERT INTO "${getTableName(table)}" (${names.map((n) => `"${n}"`).join(", ")}) VALUES (${placeholders.join(", ")})${tail ? ` ${tail}` : ""}`,
    values: (row) => keys.map((key) => row[key] ?? null),
  };
}
