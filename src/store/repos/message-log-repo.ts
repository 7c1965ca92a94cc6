import { and, asc, eq, sql } from "drizzle-orm";
import type { Store } from "../database.js";
import { syncMessageLogs } from "../schema/index.js";
import { bulkInsert } from "./bulk-rows.js";

export type MessageLogRow = typeof syncMessageLogs.$inferSelect;

/** The sync log's messages: what each run did with each message, and why. */
export type MessageLogRepo = ReturnType<typeof createMessageLogRepo>;

export function createMessageLogRepo(store: Store) {
  const { db, connection: sqlite } = store;
  const onPostgres = store.dialect === "postgres";
  const insertMessageLog = sqlite.prepare(
    "INSERT INTO sync_message_logs (run_id, supplier_id, message_id, type, sku, outcome, reasons_json, duration_ms, call_seqs_json, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
  );
  // PostgreSQL: the hot path's rows as one statement (bulk-rows.ts); SQLite: a prepared statement per row.
  const logKeys = ["runId", "supplierId", "messageId", "type", "sku", "outcome", "reasonsJson", "durationMs", "callSeqsJson", "at"] as const;
  const bulkLogs = bulkInsert(syncMessageLogs, logKeys);
  const insertMessageLogs = onPostgres ? sqlite.prepare(bulkLogs.sql) : null;

  return {
    /** Hot path (one row per message): a prepared statement, in the caller's transaction. */
    logMessages(rows: ReadonlyArray<Omit<MessageLogRow, "id">>): void {
      if (insertMessageLogs) {
        if (rows.length > 0) insertMessageLogs.run(bulkLogs.json(rows));
        return;
      }
      for (const r of rows)
        insertMessageLog.run(r.runId, r.supplierId, r.messageId, r.type, r.sku, r.outcome, r.reasonsJson, r.durationMs, r.callSeqsJson, r.at);
    },
    messageLogs(filter: {
      supplierId?: number;
      runId?: string;
      type?: number;
      outcome?: MessageLogRow["outcome"];
      sku?: string;
      from?: number;
      to?: number;
      afterId?: number;
      limit: number;
    }): MessageLogRow[] {
      const c = [
        filter.supplierId === undefined ? undefined : eq(syncMessageLogs.supplierId, filter.supplierId),
        filter.runId === undefined ? undefined : eq(syncMessageLogs.runId, filter.runId),
        filter.type === undefined ? undefined : eq(syncMessageLogs.type, filter.type),
        filter.outcome === undefined ? undefined : eq(syncMessageLogs.outcome, filter.outcome),
        filter.sku === undefined ? undefined : eq(syncMessageLogs.sku, filter.sku),
        filter.from === undefined ? undefined : sql`${syncMessageLogs.at} >= ${filter.from}`,
        filter.to === undefined ? undefined : sql`${syncMessageLogs.at} < ${filter.to}`,
        filter.afterId === undefined ? undefined : sql`${syncMessageLogs.id} > ${filter.afterId}`,
      ].filter((x) => x !== undefined);
      return db
        .select()
        .from(syncMessageLogs)
        .where(and(...c))
        .orderBy(asc(syncMessageLogs.id))
        .limit(filter.limit)
        .all();
    },
  };
}
