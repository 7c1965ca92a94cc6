import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { suppliers } from "./suppliers.js";

/**
 * How the mall reaches one supplier (issue: connecting a supplier): its API, the account it
 * issued to the mall (password and appSecret encrypted), signing, encoding, schedules and limits.
 */
export const supplierConnections = sqliteTable("supplier_connections", {
  supplierId: integer("supplier_id")
    .primaryKey()
    .references(() => suppliers.id),
  baseUrl: text("base_url").notNull(),
  username: text("username").notNull(),
  passwordEnc: text("password_enc").notNull(),
  appSecretEnc: text("app_secret_enc").notNull(),
  signMode: text("sign_mode", { enum: ["hmac-sha256", "yggc-md5"] }).notNull(),
  bodyFormat: text("body_format", { enum: ["form", "json"] }).notNull(),
  pullSchedule: text("pull_schedule").notNull(),
  stockSchedule: text("stock_schedule").notNull(),
  stockAreasJson: text("stock_areas_json").notNull(),
  maxConcurrent: integer("max_concurrent").notNull(),
  qps: integer("qps").notNull(),
  timeoutMs: integer("timeout_ms").notNull(),
  enabled: integer("enabled").notNull().default(1),
  createdAt: integer("created_at").notNull(),
  updatedAt: integer("updated_at").notNull(),
});

/** One runner per supplier at a time, across processes; an expired lease may be taken over. */
export const syncLeases = sqliteTable("sync_leases", {
  supplierId: integer("supplier_id").primaryKey(),
  holder: text("holder").notNull(),
  runId: text("run_id"),
  acquiredAt: integer("acquired_at").notNull(),
  expiresAt: integer("expires_at").notNull(),
});

/**
 * Every message taken from a supplier's pool, keyed by supplier + message id. A message is
 * deleted from the pool only once it is stored here (§6), then applied from here with retries.
 */
export const messageInbox = sqliteTable(
  "message_inbox",
  {
    seq: integer("seq").primaryKey({ autoIncrement: true }),
    supplierId: integer("supplier_id").notNull(),
    messageId: text("message_id").notNull(),
    type: integer("type").notNull(),
    sku: text("sku").notNull(),
    state: integer("state"),
    payloadJson: text("payload_json").notNull(),
    messageTime: text("message_time").notNull(),
    status: text("status", { enum: ["pending", "applied", "rejected", "skipped", "quarantined"] }).notNull(),
    /** Deterministic failures (parse, validation, a refusal for this sku): these lead to quarantine. */
    attempts: integer("attempts").notNull().default(0),
    /** Transport failures in a row (network, 5xx, timeout, unsigned or "retry later" answers): backoff only. */
    deferrals: integer("deferrals").notNull().default(0),
    /** Why the message as the supplier sent it breaks the contract (field: rule); payload_json is then the raw message. */
    parseError: text("parse_error"),
    nextAttemptAt: integer("next_attempt_at").notNull(),
    lastError: text("last_error"),
    receivedAt: integer("received_at").notNull(),
    deletedAt: integer("deleted_at"),
    settledAt: integer("settled_at"),
    lastRunId: text("last_run_id"),
  },
  (t) => [
    uniqueIndex("message_inbox_key").on(t.supplierId, t.messageId),
    index("message_inbox_due_idx").on(t.supplierId, t.type, t.status, t.seq),
    index("message_inbox_sku_idx").on(t.supplierId, t.sku),
    // Retention finds settled rows by age; pending and quarantined rows are never in it.
    index("message_inbox_settled_idx")
      .on(t.settledAt)
      .where(sql`status IN ('applied', 'rejected', 'skipped')`),
    // A group's due messages by sku (the puller's apply): only pending rows, so the read does not walk every pending message of the type.
    index("message_inbox_pending_sku_idx")
      .on(t.supplierId, t.type, t.sku, t.seq)
      .where(sql`status = 'pending'`),
  ],
);

export const syncRuns = sqliteTable(
  "sync_runs",
  {
    id: text("id").primaryKey(),
    supplierId: integer("supplier_id").notNull(),
    trigger: text("trigger", { enum: ["schedule", "manual", "stock", "replay"] }).notNull(),
    status: text("status", { enum: ["running", "succeeded", "partial", "failed"] }).notNull(),
    startedAt: integer("started_at").notNull(),
    endedAt: integer("ended_at"),
    countsJson: text("counts_json").notNull().default("{}"),
    callsMade: integer("calls_made").notNull().default(0),
    errorsJson: text("errors_json").notNull().default("[]"),
  },
  (t) => [
    index("sync_runs_supplier_idx").on(t.supplierId, t.startedAt),
    // Retention removes run summaries by age across suppliers.
    index("sync_runs_started_idx").on(t.startedAt),
  ],
);

/** The fate of one message in one run, with the calls it made. */
export const syncMessageLogs = sqliteTable(
  "sync_message_logs",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    runId: text("run_id").notNull(),
    supplierId: integer("supplier_id").notNull(),
    messageId: text("message_id").notNull(),
    type: integer("type").notNull(),
    sku: text("sku").notNull(),
    outcome: text("outcome", { enum: ["applied", "rejected", "failed", "skipped", "quarantined"] }).notNull(),
    reasonsJson: text("reasons_json").notNull().default("[]"),
    durationMs: integer("duration_ms").notNull(),
    callSeqsJson: text("call_seqs_json").notNull().default("[]"),
    at: integer("at").notNull(),
  },
  (t) => [
    index("sync_message_logs_run_idx").on(t.runId),
    index("sync_message_logs_lookup_idx").on(t.supplierId, t.at),
    index("sync_message_logs_sku_idx").on(t.supplierId, t.sku),
    // Keyset pages (id order) per supplier and per outcome.
    index("sync_message_logs_supplier_id_idx").on(t.supplierId, t.id),
    index("sync_message_logs_outcome_idx").on(t.outcome, t.id),
    // Retention removes message logs by age across suppliers.
    index("sync_message_logs_at_idx").on(t.at),
  ],
);

/** Every supplier call a run made (attempts included), for drill-down from a message. */
export const syncCalls = sqliteTable(
  "sync_calls",
  {
    runId: text("run_id").notNull(),
    seq: integer("seq").notNull(),
    operation: text("operation").notNull(),
    endpoint: text("endpoint").notNull(),
    attempt: integer("attempt").notNull(),
    startedAt: text("started_at").notNull(),
    durationMs: integer("duration_ms").notNull(),
    outcome: text("outcome").notNull(),
    errorCode: integer("error_code"),
    httpStatus: integer("http_status"),
    batchSize: integer("batch_size"),
    /** What the call was about: its sku batch, message ids or order number (never credentials). */
    subject: text("subject"),
    message: text("message"),
  },
  (t) => [
    primaryKey({ columns: [t.runId, t.seq] }),
    // Retention removes call logs by age (ISO-8601 UTC text sorts in time order).
    index("sync_calls_started_idx").on(t.startedAt),
  ],
);
