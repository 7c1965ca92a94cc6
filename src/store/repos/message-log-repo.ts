import { syncMessageLogs } from "../schema/index.js";
import { statementFor } from "../sql/placeholders.js";
import type { SqlRunner, SqlStore } from "../sql/sql-store.js";
import { bulkInsert, rowInsert } from "./bulk-rows.js";
import { selectColumns } from "./row-sql.js";

export type MessageLogRow = typeof syncMessageLogs.$inferSelect;
export type MessageLogFilter = {
  supplierId?: number;
  runId?: string;
  type?: number;
  outcome?: MessageLogRow["outcome"];
  sku?: string;
  from?: number;
  to?: number;
  afterId?: number;
  limit: number;
};

/** The sync log's messages: what each run did with each message, and why. */
export type MessageLogRepo = ReturnType<typeof createMessageLogRepo>;

const LOG_KEYS = ["runId", "supplierId", "messageId", "type", "sku", "outcome", "reasonsJson", "durationMs", "callSeqsJson", "at"] as const;

export function createMessageLogRepo(sql: SqlStore) {
  const statement = statementFor(sql.dialect);
  // PostgreSQL: a chunk's rows as one statement (bulk-rows.ts); SQLite: a prepared statement per row.
  const bulk = bulkInsert(syncMessageLogs, LOG_KEYS);
  const single = rowInsert(syncMessageLogs, LOG_KEYS);

  return {
    /** Hot path (one row per message), in the caller's transaction. */
    async logMessages(rows: ReadonlyArray<Omit<MessageLogRow, "id">>, tx: SqlRunner): Promise<void> {
      if (rows.length === 0) return;
      if (tx.dialect === "postgres") {
        await tx.run(bulk.sql, [bulk.json(rows)]);
        return;
      }
      for (const row of rows) await tx.run(single.sql, single.values(row));
    },
    /** Oldest first, after `afterId` when given. */
    messageLogs(filter: MessageLogFilter): Promise<MessageLogRow[]> {
      const values: unknown[] = [];
      const text = statement((p) => {
        const where: string[] = [];
        const add = (condition: (placeholder: string) => string, value: unknown) => {
          if (value === undefined) return;
          where.push(condition(p()));
          values.push(value);
        };
        add((x) => `supplier_id = ${x}`, filter.supplierId);
        add((x) => `run_id = ${x}`, filter.runId);
        add((x) => `type = ${x}`, filter.type);
        add((x) => `outcome = ${x}`, filter.outcome);
        add((x) => `sku = ${x}`, filter.sku);
        add((x) => `at >= ${x}`, filter.from);
        add((x) => `at < ${x}`, filter.to);
        add((x) => `id > ${x}`, filter.afterId);
        values.push(filter.limit);
        return `SELECT ${selectColumns(syncMessageLogs)} FROM sync_message_logs ${where.length > 0 ? `WHERE ${where.join(" AND ")} ` : ""}ORDER BY id LIMIT ${p()}`;
      });
      return sql.all<MessageLogRow>(text, values);
    },
  };
}
