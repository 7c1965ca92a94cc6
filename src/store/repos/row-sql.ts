import { getTableColumns, getTableName } from "drizzle-orm";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";

/**
 * SQL text for hand-prepared statements on the hot paths, derived from the drizzle schema so the
 * column names cannot drift from it. drizzle's builder re-renders its SQL on every call (measured
 * 5–8× the cost of the statement itself); a statement prepared once is not.
 */

/** `col AS "key", …`: a SELECT list whose rows come back keyed like drizzle's `$inferSelect`. */
export function selectColumns(table: SQLiteTable): string {
  return Object.entries(getTableColumns(table))
    .map(([key, column]) => `"${column.name}" AS "${key}"`)
    .join(", ");
}

/** The columns of `keys`, in order, as SQL names. */
export function columnNames(table: SQLiteTable, keys: readonly string[]): string[] {
  const columns = getTableColumns(table);
  return keys.map((key) => {
    const column = columns[key];
    if (!column) throw new Error(`${getTableName(table)} has no column ${key}`);
    return column.name;
  });
}

/** `ON CONFLICT (target) DO UPDATE SET` every key except `keep` (and the target) to the incoming row's value. */
export function conflictUpdateSql(table: SQLiteTable, keys: readonly string[], target: readonly string[], keep: readonly string[]): string {
  const keepNames = new Set(columnNames(table, keep));
  const targetNames = columnNames(table, target);
  const updates = columnNames(table, keys)
    .filter((n) => !keepNames.has(n) && !targetNames.includes(n))
    .map((n) => `"${n}" = excluded."${n}"`);
  return `ON CONFLICT (${targetNames.map((n) => `"${n}"`).join(", ")}) DO UPDATE SET ${updates.join(", ")}`;
}

/**
 * `INSERT … (keys) VALUES (@keys) ON CONFLICT (target) DO UPDATE SET` every key except `keep`, for
 * a statement bound with an object whose properties are the keys.
 */
export function upsertSql(table: SQLiteTable, keys: readonly string[], target: readonly string[], keep: readonly string[]): string {
  const names = columnNames(table, keys);
  return (
    `INSERT INTO "${getTableName(table)}" (${names.map((n) => `"${n}"`).join(", ")}) VALUES (${keys.map((k) => `@${k}`).join(", ")}) ` +
    conflictUpdateSql(table, keys, target, keep)
  );
}
