import { z } from "zod";
import { EpochMs } from "./common-views.js";

const runTriggers = ["schedule", "manual", "stock", "replay"] as const;
const runStatuses = ["running", "succeeded", "partial", "failed"] as const;
const messageOutcomes = ["applied", "rejected", "failed", "skipped", "quarantined"] as const;

/** Messages by type, then by outcome (and `received`). */
const RunCounts = z.record(z.string(), z.record(z.string(), z.number().int()));
const RunError = z.object({ at: z.string(), endpoint: z.string().optional(), kind: z.string(), code: z.number().int().optional(), message: z.string() });

/** What a finished run reports (manual pull, replay). */
export const RunSummary = z.object({
  runId: z.string(),
  supplier: z.string(),
  trigger: z.enum(runTriggers),
  status: z.enum(runStatuses),
  startedAt: z.string().describe("ISO 8601"),
  endedAt: z.string().describe("ISO 8601"),
  counts: RunCounts,
  callsMade: z.number().int(),
  callsByOperation: z.record(z.string(), z.number().int()),
  errors: z.array(RunError),
  pendingInInbox: z.number().int(),
  deferred: z
    .object({ count: z.number().int(), nextAttemptAt: z.string().nullable().describe("ISO 8601") })
    .describe("Messages left waiting after a transient failure."),
});

/** A run that did not start because another runner holds the supplier's lease. */
export const RunAttempt = z.union([
  z.object({ ran: z.literal(true), summary: RunSummary }),
  z.object({ ran: z.literal(false), reason: z.literal("busy"), holder: z.string().nullable() }),
]);

/** A stored run: its row, with the JSON columns also answered parsed. */
export const SyncRunView = z.object({
  id: z.string(),
  supplierId: z.number().int(),
  supplier: z.string().nullable(),
  trigger: z.enum(runTriggers),
  status: z.enum(runStatuses),
  startedAt: EpochMs,
  endedAt: EpochMs.nullable(),
  callsMade: z.number().int(),
  counts: RunCounts,
  errors: z.array(RunError),
  countsJson: z.string().describe("`counts` as stored (JSON text)."),
  errorsJson: z.string().describe("`errors` as stored (JSON text)."),
});

/** The fate of one message in one run. */
export const MessageLogView = z.object({
  id: z.number().int(),
  runId: z.string(),
  supplierId: z.number().int(),
  messageId: z.string(),
  type: z.number().int(),
  sku: z.string(),
  outcome: z.enum(messageOutcomes),
  durationMs: z.number().int(),
  at: EpochMs,
  reasons: z.array(z.unknown()).describe("§7 reasons [{code, field, message}] or the failure, as recorded."),
  callSeqs: z.array(z.number().int()).describe("The run's calls this message made (see /sync/messages/{id}/calls)."),
  reasonsJson: z.string().describe("`reasons` as stored (JSON text)."),
  callSeqsJson: z.string().describe("`callSeqs` as stored (JSON text)."),
});

/** One supplier call a run made (attempts included). */
export const SyncCallView = z.object({
  runId: z.string(),
  seq: z.number().int(),
  operation: z.string(),
  endpoint: z.string(),
  attempt: z.number().int(),
  startedAt: z.string().describe("ISO 8601"),
  durationMs: z.number().int(),
  outcome: z.string(),
  errorCode: z.number().int().nullable(),
  httpStatus: z.number().int().nullable(),
  batchSize: z.number().int().nullable(),
  subject: z.string().nullable().describe("Its sku batch, message ids or order number; never credentials."),
  message: z.string().nullable(),
});

const quarantineFields = {
  messageId: z.string(),
  type: z.number().int(),
  sku: z.string(),
  unparseable: z.boolean().describe("The message itself breaks the contract (it was never applied)."),
  reason: z.string().nullable().describe("field: rule for an unparseable message, else the last error."),
  attempts: z.number().int(),
  lastRunId: z.string().nullable(),
};

/** A quarantined message, as GET /sync/quarantine answers it. */
export const QuarantineEntry = z.object({
  ...quarantineFields,
  raw: z.unknown().describe("The message as stored: raw when unparseable, its `result` otherwise."),
  receivedAt: z.string().describe("ISO 8601"),
  quarantinedAt: z.string().nullable().describe("ISO 8601"),
});

/** A quarantined message for the console's page: times in epoch ms, the body as text. */
export const QuarantineRow = z.object({
  ...quarantineFields,
  receivedAt: EpochMs,
  settledAt: EpochMs.nullable(),
  rawBody: z.string().describe("The message as stored, pretty-printed JSON unless it was not JSON."),
});
