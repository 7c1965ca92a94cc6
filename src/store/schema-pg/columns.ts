import { bigint, customType } from "drizzle-orm/pg-core";

/**
 * Column kinds shared by the pg tables. Row types must stay identical to the SQLite schema's, so one
 * repository can serve both dialects: epoch milliseconds and fen are numbers (bigint, as SQLite's
 * 64-bit integer holds them), and 0/1 flags are numbers in code while PostgreSQL stores a boolean.
 */
export const epochMs = (name: string) => bigint(name, { mode: "number" });

/** Amounts in fen: an order's total may pass int4's 21 million yuan. */
export const fen = (name: string) => bigint(name, { mode: "number" });

/** A 0/1 flag; its default must be written as sql`true`/sql`false`, since the column is boolean. */
export const flag = customType<{ data: number; driverData: boolean }>({
  dataType: () => "boolean",
  toDriver: (value) => value !== 0,
  fromDriver: (value) => (value ? 1 : 0),
});
