import { z } from "zod";
import { beijingIso } from "../../lib/beijing-time.js";
import { keysetRows } from "./keyset.js";
import type { SupplierAccounts } from "../../accounts/supplier-accounts.js";
import type { ConformanceService } from "../../conformance/conformance-service.js";
import type { OrderService } from "../../orders/order-service.js";
import type { AccountRepo } from "../../store/repos/account-repo.js";
import type { AdminRepo } from "../../store/repos/admin-repo.js";
import type { AuditTrail } from "../audit-trail.js";
import { ALL_ROLES, DEFAULT_PAGE, MAX_PAGE, defineRouteWith, q } from "./route-types.js";
import { AuditEntryView, AuditVerdict, Dashboard } from "./views/audit-views.js";

const LOG_READERS = ["admin", "auditor"] as const;
const AuditFilter = z.object({ actor: q.text(64).optional(), action: q.text(64).optional(), target: q.text(200).optional() });

/** The audit log and its chain; the dashboard's figures per supplier and the order counts. */
export type AuditRouteServices = {
  audit: Pick<AuditTrail, "list" | "verify">;
  supplierAccounts: Pick<SupplierAccounts, "list">;
  accounts: Pick<AccountRepo, "supplierByCode">;
  activity: Pick<AdminRepo, "supplierHealth">;
  orders: Pick<OrderService, "counts">;
  conformance: Pick<ConformanceService, "standingOf">;
  clock: () => number;
};

const defineRoute = defineRouteWith<AuditRouteServices>();

export const auditRoutes = [
  defineRoute({
    method: "GET",
    path: "/audit",
    roles: LOG_READERS,
    tag: "audit",
    summary: "The audit log, newest first, by actor, action prefix and target. Cursor: `before` = the last row's id.",
    query: AuditFilter.extend({ before: q.int(1, Number.MAX_SAFE_INTEGER).optional(), limit: q.int(1, MAX_PAGE).default(DEFAULT_PAGE) }),
    response: z.object({
      entries: z.array(AuditEntryView),
      nextBefore: z.number().int().nullable().describe("Pass as `before` for the next page; null: no more."),
    }),
    async handler({ query, services }) {
      const rows = (await services.audit.list(query)).map(({ summaryJson, ...r }) => ({ ...r, summary: JSON.parse(summaryJson) as unknown }));
      const last = rows.at(-1);
      return { body: { entries: rows, nextBefore: rows.length === query.limit && last ? last.id : null } };
    },
  }),
  defineRoute({
    method: "GET",
    path: "/exports/audit",
    roles: LOG_READERS,
    tag: "exports",
    summary: "CSV (UTF-8 with BOM) of the audit rows the filters find, newest first, streamed, with each row's hash.",
    query: AuditFilter,
    file: { mediaType: "text/csv", description: "audit.csv: UTF-8 with BOM, one row per audit entry." },
    handler({ query, services }) {
      const rows = keysetRows(
        (before: number | undefined, limit) => services.audit.list({ ...query, before, limit }),
        (r) => r.id,
      );
      return {
        body: null,
        csv: {
          filename: "audit.csv",
          header: ["#", "时间（北京时间）", "操作人", "角色", "操作", "对象", "结果", "摘要", "请求编号", "哈希"],
          rows: (async function* () {
            for await (const r of rows) yield [r.id, beijingIso(r.at), r.actor, r.role, r.action, r.target, r.outcome, r.summaryJson, r.requestId, r.hash];
          })(),
        },
      };
    },
  }),
  defineRoute({
    method: "GET",
    path: "/audit/verify",
    roles: LOG_READERS,
    tag: "audit",
    summary: "Walk the hash chain; names the first broken row.",
    response: z.object({ verdict: AuditVerdict }),
    handler: async ({ services }) => ({ body: { verdict: await services.audit.verify() } }),
  }),
  defineRoute({
    method: "GET",
    path: "/dashboard",
    roles: ALL_ROLES,
    tag: "dashboard",
    response: Dashboard,
    summary:
      "Per supplier: last run, inbox backlog, failure rate over 24 h (admin, auditor; a supplier user: its own); order counts by state (admin, procurement).",
    async handler({ services, user, scope }) {
      const role = user?.role;
      const body: Record<string, unknown> = {};
      if (role === "admin" || role === "auditor" || scope) {
        const suppliers = (await services.supplierAccounts.list()).filter((s) => !scope || s.code === scope.code);
        const ids = await Promise.all(suppliers.map(async (s) => (await services.accounts.supplierByCode(s.code))?.id ?? -1));
        const health = await services.activity.supplierHealth(ids, services.clock() - DAY_MS);
        const trustMarks = await Promise.all(ids.map((id) => trustMarkOf(services.conformance, id)));
        body.suppliers = suppliers.map((s, i) => {
          const h = health[i];
          return {
            code: s.code,
            name: s.name,
            status: s.status,
            lastRun: h?.lastRun ? { id: h.lastRun.id, status: h.lastRun.status, startedAt: h.lastRun.startedAt, endedAt: h.lastRun.endedAt } : null,
            backlog: h?.backlog ?? 0,
            messages24h: h?.messages ?? 0,
            failureRate24h: h && h.messages > 0 ? h.failed / h.messages : 0,
            trustMark: trustMarks[i],
          };
        });
      }
      if (role === "admin" || role === "procurement") body.orders = await services.orders.counts();
      return { body };
    },
  }),
];

const DAY_MS = 86_400_000;

/** The supplier's mark state and whether the production gate lets it through. */
async function trustMarkOf(conformance: AuditRouteServices["conformance"], supplierId: number) {
  const s = await conformance.standingOf(supplierId);
  return { state: s.mark?.state ?? null, expiresAt: s.mark?.expiresAt ?? null, gate: s.gate };
}
