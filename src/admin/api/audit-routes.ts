import { z } from "zod";
import { beijingIso } from "../../lib/beijing-time.js";
import { keysetRows } from "./keyset.js";
import type { Container } from "../../container.js";
import { ALL_ROLES, DEFAULT_PAGE, MAX_PAGE, defineRoute, q } from "./route-types.js";
import { AuditEntryView, AuditVerdict, Dashboard } from "./views/audit-views.js";

const LOG_READERS = ["admin", "auditor"] as const;
const AuditFilter = z.object({ actor: q.text(64).optional(), action: q.text(64).optional(), target: q.text(200).optional() });

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
    handler({ query, container }) {
      const rows = container.admin.audit.list(query).map(({ summaryJson, ...r }) => ({ ...r, summary: JSON.parse(summaryJson) as unknown }));
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
    handler({ query, container }) {
      const rows = keysetRows(
        (before: number | undefined, limit) => container.admin.audit.list({ ...query, before, limit }),
        (r) => r.id,
      );
      return {
        body: null,
        csv: {
          filename: "audit.csv",
          header: ["#", "时间（北京时间）", "操作人", "角色", "操作", "对象", "结果", "摘要", "请求编号", "哈希"],
          rows: (function* () {
            for (const r of rows) yield [r.id, beijingIso(r.at), r.actor, r.role, r.action, r.target, r.outcome, r.summaryJson, r.requestId, r.hash];
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
    handler: ({ container }) => ({ body: { verdict: container.admin.audit.verify() } }),
  }),
  defineRoute({
    method: "GET",
    path: "/dashboard",
    roles: ALL_ROLES,
    tag: "dashboard",
    response: Dashboard,
    summary:
      "Per supplier: last run, inbox backlog, failure rate over 24 h (admin, auditor; a supplier user: its own); order counts by state (admin, procurement).",
    handler({ container, user, scope }) {
      const role = user?.role;
      const body: Record<string, unknown> = {};
      if (role === "admin" || role === "auditor" || scope) {
        const suppliers = container.supplierAccounts.list().filter((s) => !scope || s.code === scope.code);
        const ids = suppliers.map((s) => container.repos.accounts.supplierByCode(s.code)?.id ?? -1);
        const health = container.admin.repo.supplierHealth(ids, container.clock() - DAY_MS);
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
            trustMark: trustMarkOf(container, ids[i] ?? -1),
          };
        });
      }
      if (role === "admin" || role === "procurement") body.orders = container.orders.service.counts();
      return { body };
    },
  }),
];

const DAY_MS = 86_400_000;

/** The supplier's mark state and whether the production gate lets it through. */
function trustMarkOf(container: Container, supplierId: number) {
  const s = container.conformance.standingOf(supplierId);
  return { state: s.mark?.state ?? null, expiresAt: s.mark?.expiresAt ?? null, gate: s.gate };
}
