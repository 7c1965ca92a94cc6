import { z } from "zod";
import { productionCheckIds } from "../../conformance/production-checks.js";
import { type ProductionConformance, beijingDay, unscorableDay } from "../../conformance/production-conformance.js";
import type { AccountRepo } from "../../store/repos/account-repo.js";
import { AdminError } from "../admin-errors.js";
import { defineRouteWith, q } from "./route-types.js";
import { scopedSupplier } from "./supplier-scope.js";

const Code = z.object({
  code: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9_-]{2,32}$/, "2–32 of [A-Za-z0-9_-]"),
});
const Day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "yyyy-MM-dd (Beijing time)");
const Evidence = z.object({
  at: z.string(),
  endpoint: z.string(),
  outcome: z.string(),
  errorCode: z.number().int().nullable(),
  httpStatus: z.number().int().nullable(),
  field: z.string().nullable(),
  message: z.string().nullable(),
  durationMs: z.number(),
  subject: z.string().nullable(),
});
const DayScore = z.object({
  day: z.string().describe("yyyy-MM-dd, Beijing time"),
  score: z.number().int().describe("0–100: the share of the day's checks (those with calls) that passed"),
  checks: z.array(
    z.object({
      check: z.enum(productionCheckIds),
      total: z.number().int(),
      failed: z.number().int(),
      passed: z.boolean(),
      evidence: z.array(Evidence).describe("The first failing calls (never credentials)."),
    }),
  ),
  action: z.enum(["none", "warn", "propose", "suspend"]).describe("What the policy did about the day."),
  proposal: z.enum(["open", "approved", "dismissed"]).nullable(),
  decidedBy: z.string().nullable(),
});
const Policy = z.object({ policy: z.enum(["warn", "propose", "suspend"]), minScore: z.number().int(), badDays: z.number().int() });

/** The production calls scored per supplier and day, and the policy's proposals to decide. */
export type ProductionRouteServices = {
  production: Pick<ProductionConformance, "history" | "evaluate" | "decide">;
  accounts: Pick<AccountRepo, "supplierByCode">;
  clock: () => number;
};

const defineRoute = defineRouteWith<ProductionRouteServices>();

/** Production conformance: the mark keeps being earned by what the supplier does in production. */
export const productionRoutes = [
  defineRoute({
    method: "GET",
    path: "/suppliers/:code/production-conformance",
    roles: ["admin", "auditor", "supplier"],
    tag: "conformance",
    summary:
      "The supplier's production conformance: each scored day (newest first) with the kit's checks, the failing calls as evidence, and what the policy did; today so far; the policy (a supplier user: its own).",
    params: Code,
    query: z.object({ days: q.int(1, 366).optional() }),
    response: z.object({ supplier: z.string(), policy: Policy, today: DayScore.nullable(), days: z.array(DayScore) }),
    errors: ["not_found"],
    async handler({ params, query, services, scope }) {
      const code = scopedSupplier(scope, params.code) ?? params.code;
      const history = await services.production.history(code, query.days ?? 30);
      if (!history) throw new AdminError("not_found", `no supplier with code ${code}`);
      return { body: { supplier: code, policy: history.policy, today: history.today, days: history.days } };
    },
  }),
  defineRoute({
    method: "POST",
    path: "/suppliers/:code/production-conformance/evaluate",
    roles: ["admin"],
    tag: "conformance",
    summary:
      "Score one day of the supplier's production calls now (default: yesterday, Beijing time) and apply the policy to it, as the daily job does; a day already acted on is not acted on again.",
    audit: "conformance.production_evaluate",
    params: Code,
    body: z.object({ day: Day.optional() }),
    response: z.object({ day: DayScore.nullable().describe("null: no production calls that day") }),
    errors: ["not_found"],
    async handler({ params, body, services }) {
      if (!(await services.accounts.supplierByCode(params.code))) throw new AdminError("not_found", `no supplier with code ${params.code}`);
      const day = body.day ?? beijingDay(services.clock() - 86_400_000);
      const unscorable = unscorableDay(day, services.clock());
      if (unscorable) throw new AdminError("invalid_input", unscorable, [{ field: "body.day", message: unscorable }]);
      const scored = await services.production.evaluate(params.code, day);
      return {
        body: { day: scored },
        audit: { target: params.code, summary: { after: { day, score: scored?.score ?? null, action: scored?.action ?? null } } },
      };
    },
  }),
  defineRoute({
    method: "POST",
    path: "/suppliers/:code/production-conformance/:day/decide",
    roles: ["admin"],
    tag: "conformance",
    summary: "Decide a proposed suspension: approve (the supplier's marks are suspended with the reason) or dismiss.",
    audit: "conformance.production_decide",
    params: Code.extend({ day: Day }),
    body: z.object({ decision: z.enum(["approve", "dismiss"]), reason: z.string().trim().min(1, "required").max(500) }),
    response: z.object({
      decided: z.enum(["approve", "dismiss"]),
      day: z.string(),
      suspendedMarks: z.array(z.string()).describe("The marks the approval suspended."),
      waiverEnded: z.boolean().describe("Whether it ended the supplier's gate waiver (with no live mark to suspend, the waiver is withdrawn)."),
    }),
    errors: ["not_found", "conflict"],
    // The open proposal read and decided, the marks it suspends and the audit row, in one transaction.
    handler: ({ params, body, services, user }) => ({
      commitIn: async (tx) => {
        const decided = await services.production.decide(params.code, params.day, body.decision, `user:${user?.username ?? "anonymous"}`, body.reason, tx);
        if (!decided.ok) throw new AdminError("not_found", `no open suspension proposal for ${params.code} on ${params.day}`);
        const held = decided.held ?? { marks: [], waiverEnded: false };
        return {
          body: { decided: body.decision, day: params.day, suspendedMarks: held.marks, waiverEnded: held.waiverEnded },
          audit: {
            target: params.code,
            summary: { after: { day: params.day, decision: body.decision, reason: body.reason, suspendedMarks: held.marks, waiverEnded: held.waiverEnded } },
          },
        };
      },
    }),
  }),
];
