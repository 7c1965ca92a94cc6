import { getTableColumns } from "drizzle-orm";
import { supplierConnections } from "../schema/index.js";
import { statementFor } from "../sql/placeholders.js";
import type { SqlRunner, SqlStore } from "../sql/sql-store.js";
import { rowInsert } from "./bulk-rows.js";
import { conflictUpdateSql, selectColumns } from "./row-sql.js";

export type ConnectionRow = typeof supplierConnections.$inferSelect;

const CONNECTION = selectColumns(supplierConnections);
const KEYS = Object.keys(getTableColumns(supplierConnections));

/** How the mall reaches each supplier: one row per connected supplier. */
export type ConnectionRepo = ReturnType<typeof createConnectionRepo>;

export function createConnectionRepo(sql: SqlStore) {
  const { dialect } = sql;
  const statement = statementFor(dialect);
  // A connection saved again keeps the time it was first made.
  const save = rowInsert(supplierConnections, KEYS, conflictUpdateSql(supplierConnections, KEYS, ["supplierId"], ["createdAt"]), dialect);
  const S = {
    of: statement((p) => `SELECT ${CONNECTION} FROM supplier_connections WHERE supplier_id = ${p()}`),
    // `enabled` is a boolean on PostgreSQL (read back as 1/0), an integer on SQLite.
    enabled: `SELECT ${CONNECTION} FROM supplier_connections WHERE ${dialect === "postgres" ? "enabled" : "enabled = 1"}`,
  };
  return {
    /** In `tx` when given (with its audit row). */
    async saveConnection(row: ConnectionRow, tx: SqlRunner = sql): Promise<void> {
      await tx.run(save.sql, save.values(row));
    },
    connectionOf: (supplierId: number, tx: SqlRunner = sql): Promise<ConnectionRow | undefined> => tx.get<ConnectionRow>(S.of, [supplierId]),
    enabledConnections: (): Promise<ConnectionRow[]> => sql.all<ConnectionRow>(S.enabled),
  };
}
