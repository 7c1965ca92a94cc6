import { z } from "zod";
import { stepStatuses } from "../../../conformance/plan.js";
import { countsBy } from "./common-views.js";

const RunStep = z.object({ id: z.string(), title: z.string(), status: z.string(), detail: z.string() });
export const RunSummary = z.object({
  id: z.string(),
  supplier: z.string(),
  passed: z.boolean(),
  baseUrl: z.string(),
  kitVersion: z.string(),
  contractVersion: z.string(),
  startedAt: z.string(),
  endedAt: z.string(),
  modules: z.array(z.object({ id: z.string(), title: z.string(), status: z.string(), steps: z.array(RunStep) })),
  reportJson: z.string().optional().describe("Server path of the JSON report (staff only)."),
  reportHtml: z.string().optional().describe("Server path of the HTML report (staff only)."),
  markId: z.string().nullable(),
});
export const Mark = z.object({
  id: z.string(),
  supplier: z.string(),
  runId: z.string(),
  state: z.enum(["valid", "suspended", "revoked", "expired"]).describe("As it stands now (a valid mark past its expiry reads expired)."),
  storedState: z.enum(["valid", "suspended", "revoked"]).describe("As stored."),
  reason: z.string().nullable(),
  kitVersion: z.string(),
  contractVersion: z.string(),
  issuedAt: z.string(),
  expiresAt: z.string(),
  recertifyBy: z.string().nullable(),
  jws: z.string(),
});
export const Standing = z.object({
  mark: Mark.nullable(),
  gate: z.object({ open: z.boolean(), via: z.string().nullable(), reason: z.string().nullable() }),
  waiver: z
    .object({
      supplierId: z.number().int(),
      reason: z.string(),
      actor: z.string().optional().describe("The admin who granted it (staff only)."),
      createdAt: z.number(),
    })
    .nullable(),
});

const Evidence = z.object({
  operation: z.string().optional(),
  request: z.record(z.string(), z.string()).optional(),
  response: z
    .union([
      z.object({ status: z.number().int(), signTimestamp: z.string().optional(), sign: z.string().optional(), body: z.string() }),
      z.object({ error: z.string() }),
    ])
    .optional(),
  expected: z.string().optional(),
  got: z.string().optional(),
});
/** The signed report as report.json holds it. */
export const ConformanceReport = z.object({
  format: z.string(),
  runId: z.string(),
  issuer: z.object({ platformCode: z.string(), platformName: z.string() }),
  supplier: z.object({ code: z.string(), name: z.string(), creditCode: z.string() }),
  sandboxBaseUrl: z.string(),
  signMode: z.string(),
  kitVersion: z.string(),
  contractVersion: z.string(),
  advisory: z.object({ seed: z.number() }).optional().describe("An advisory run (random and malformed inputs from this seed): it never issues a mark."),
  startedAt: z.string(),
  endedAt: z.string(),
  summary: z.object({
    passed: z.boolean(),
    modules: z.object({ passed: z.number().int(), failed: z.number().int(), warning: z.number().int() }),
    steps: countsBy(stepStatuses),
    blocking: z
      .array(z.object({ module: z.string(), step: z.string(), title: z.string(), status: z.enum(stepStatuses) }))
      .describe("Required steps that did not pass."),
  }),
  modules: z.array(
    z.object({
      id: z.string(),
      title: z.string(),
      section: z.string(),
      status: z.enum(["passed", "failed", "warning"]),
      steps: z.array(
        z.object({
          id: z.string(),
          title: z.string(),
          section: z.string(),
          required: z.boolean(),
          changesState: z.boolean(),
          signMode: z.literal("hmac-sha256").optional(),
          status: z.enum(stepStatuses),
          detail: z.string(),
          evidence: z.array(Evidence),
        }),
      ),
    }),
  ),
});
