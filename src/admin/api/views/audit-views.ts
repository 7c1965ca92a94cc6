import { z } from "zod";
import { Role } from "../../admin-users.js";
import { AccountStatus, EpochMs } from "./common-views.js";
import { OrderCounts } from "./order-views.js";

/** One audit row, its summary parsed; hashes chain the rows (GET /audit/verify walks them). */
export const AuditEntryView = z.object({
  id: z.number().int(),
  at: EpochMs,
  actor: z.string(),
  role: Role.nullable(),
  action: z.string(),
  target: z.string().nullable(),
  outcome: z.enum(["ok", "refused", "failed"]),
  summary: z.unknown().describe("{before?, after?, error?}: a short summary, never a secret."),
  requestId: z.string().nullable(),
  prevHash: z.string(),
  hash: z.string(),
  keyId: z.string().nullable().describe("The audit key that sealed the row."),
});

export const AuditVerdict = z.union([
  z.object({ ok: z.literal(true), rows: z.number().int(), head: z.string() }),
  z.object({ ok: z.literal(false), rows: z.number().int(), brokenAt: z.number().int(), reason: z.string() }),
]);

const runStatuses = ["running", "succeeded", "partial", "failed"] as const;

export const Dashboard = z.object({
  suppliers: z
    .array(
      z.object({
        code: z.string(),
        name: z.string(),
        status: AccountStatus,
        lastRun: z.object({ id: z.string(), status: z.enum(runStatuses), startedAt: EpochMs, endedAt: EpochMs.nullable() }).nullable(),
        backlog: z.number().int().describe("Pending and quarantined messages in the inbox."),
        messages24h: z.number().int(),
        failureRate24h: z.number().min(0).max(1),
        trustMark: z.object({
          state: z.enum(["valid", "suspended", "revoked", "expired"]).nullable(),
          expiresAt: z.string().nullable().describe("ISO 8601"),
          gate: z.object({ open: z.boolean(), via: z.string().nullable(), reason: z.string().nullable() }),
        }),
      }),
    )
    .optional()
    .describe("admin, auditor; a supplier user: its own."),
  orders: OrderCounts.optional().describe("admin, procurement."),
});

export const Charts = z.object({
  from: EpochMs,
  to: EpochMs,
  suppliers: z
    .array(
      z.object({
        code: z.string(),
        name: z.string(),
        backlog: z.number().int(),
        hourly: z.array(
          z.object({
            hour: EpochMs,
            applied: z.number().int(),
            rejected: z.number().int(),
            quarantined: z.number().int(),
            failed: z.number().int(),
            skipped: z.number().int(),
          }),
        ),
        latency: z.array(
          z.object({
            hour: EpochMs,
            calls: z.number().int(),
            p50: z.number().describe("ms"),
            p95: z.number().describe("ms"),
            errorRate: z.number().min(0).max(1),
          }),
        ),
      }),
    )
    .optional()
    .describe("admin, auditor; a supplier user: its own."),
  orders: z
    .object({ from: EpochMs, transitions: z.array(z.object({ day: EpochMs.describe("Start of the Beijing day."), state: z.string(), n: z.number().int() })) })
    .optional()
    .describe("admin, procurement; a supplier user: its own."),
});
