import { getTableName } from "drizzle-orm";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";
import { columnNames } from "./row-sql.js";

/**
 * PostgreSQL only: many rows in one INSERT. Every statement crosses the synchronous bridge on its
 * own round trip, which holds the event loop (and, through it, every supplier call in flight), so
 * the hot paths send a chunk's rows as one JSON array, read back as rows of the table's own types,
 * in the array's order. SQLite keeps its prepared statement per row, which costs no round trip.
 */
export type BulkInsert = {
  /** `INSERT INTO t (…) SELECT … FROM json_populate_recordset(…)`, then `tail` (ON CONFLICT, RETURNING). */
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
      `INSERT INTO "${name}" (${list}) SELECT ${list} FROM json_populate_recordset(NULL::"${name}", ?::json) WITH ORDINALITY AS r ` +
      `ORDER BY r.ordinality${tail ? ` ${tail}` : ""}`,
    json: (rows) => JSON.stringify(rows.map((row) => Object.fromEntries(keys.map((key, i) => [names[i], row[key] ?? null])))),
  };
}
