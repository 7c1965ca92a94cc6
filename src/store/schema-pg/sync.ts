import { sql } from "drizzle-orm";
import { bigint, index, integer, pgTable, primaryKey, text, uniqueIndex } from "drizzle-orm/pg-core";
import { epochMs, flag } from "./columns.js";
import { suppliers } from "./suppliers.js";

/** Mirrors src/store/schema/sync.ts column by column (tests/unit/schema-parity.test.ts). */
export const supplierConnections = pgTable("supplier_connections", {
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
  enabled: flag("enabled")
    .notNull()
    .default(sql`true`),
  createdAt: epochMs("created_at").notNull(),
  updatedAt: epochMs("updated_at").notNull(),
});

export const syncLeases = pgTable("sync_leases", {
  supplierId: integer("supplier_id").primaryKey(),
  holder: text("holder").notNull(),
  runId: text("run_id"),
  acquiredAt: epochMs("acquired_at").notNull(),
  expiresAt: epochMs("expires_at").notNull(),
});

export const messageInbox = pgTable(
  "message_inbox",
  {
    seq: bigint("seq", { mode: "number" }).primaryKey().generatedByDefaultAsIdentity(),
    supplierId: integer("supplier_id").notNull(),
    messageId: text("message_id").notNull(),
    type: integer("type").notNull(),
    sku: text("sku").notNull(),
    state: integer("state"),
    payloadJson: text("payload_json").notNull(),
    messageTime: text("message_time").notNull(),
    status: text("status", { enum: ["pending", "applied", "rejected", "skipped", "quarantined"] }).notNull(),
    attempts: integer("attempts").notNull().default(0),
    deferrals: integer("deferrals").notNull().default(0),
    parseError: text("parse_error"),
    nextAttemptAt: epochMs("next_attempt_at").notNull(),
    lastError: text("last_error"),
    receivedAt: epochMs("received_at").notNull(),
    deletedAt: epochMs("deleted_at"),
    settledAt: epochMs("settled_at"),
    lastRunId: text("last_run_id"),
  },
  (t) => [
    uniqueIndex("message_inbox_key").on(t.supplierId, t.messageId),
    index("message_inbox_due_idx").on(t.supplierId, t.type, t.status, t.seq),
    index("message_inbox_sku_idx").on(t.supplierId, t.sku),
    index("message_inbox_settled_idx")
      .on(t.settledAt)
      .where(sql`status IN ('applied', 'rejected', 'skipped')`),
    // A group's due messages by sku (the puller's apply): only pending rows, so the read does not walk every pending message of the type.
    index("message_inbox_pending_sku_idx")
      .on(t.supplierId, t.type, t.sku, t.seq)
      .where(sql`status = 'pending'`),
  ],
);

export const syncRuns = pgTable(
  "sync_runs",
  {
    id: text("id").primaryKey(),
    supplierId: integer("supplier_id").notNull(),
    trigger: text("trigger", { enum: ["schedule", "manual", "stock", "replay"] }).notNull(),
    status: text("status", { enum: ["running", "succeeded", "partial", "failed"] }).notNull(),
    startedAt: epochMs("started_at").notNull(),
    endedAt: epochMs("ended_at"),
    countsJson: text("counts_json").notNull().default("{}"),
    callsMade: integer("calls_made").notNull().default(0),
    errorsJson: text("errors_json").notNull().default("[]"),
  },
  (t) => [index("sync_runs_supplier_idx").on(t.supplierId, t.startedAt), index("sync_runs_started_idx").on(t.startedAt)],
);

export const syncMessageLogs = pgTable(
  "sync_message_logs",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedByDefaultAsIdentity(),
    runId: text("run_id").notNull(),
    supplierId: integer("supplier_id").notNull(),
    messageId: text("message_id").notNull(),
    type: integer("type").notNull(),
    sku: text("sku").notNull(),
    outcome: text("outcome", { enum: ["applied", "rejected", "failed", "skipped", "quarantined"] }).notNull(),
    reasonsJson: text("reasons_json").notNull().default("[]"),
    durationMs: integer("duration_ms").notNull(),
    callSeqsJson: text("call_seqs_json").notNull().default("[]"),
    at: epochMs("at").notNull(),
  },
  (t) => [
    index("sync_message_logs_run_idx").on(t.runId),
    index("sync_message_logs_lookup_idx").on(t.supplierId, t.at),
    index("sync_message_logs_sku_idx").on(t.supplierId, t.sku),
    index("sync_message_logs_supplier_id_idx").on(t.supplierId, t.id),
    index("sync_message_logs_outcome_idx").on(t.outcome, t.id),
    index("sync_message_logs_at_idx").on(t.at),
  ],
);

export const syncCalls = pgTable(
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
    subject: text("subject"),
    message: text("message"),
  },
  (t) => [primaryKey({ columns: [t.runId, t.seq] }), index("sync_calls_started_idx").on(t.startedAt)],
);
