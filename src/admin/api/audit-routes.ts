import { z } from "zod";
import { ALL_ROLES, DEFAULT_PAGE, MAX_PAGE, defineRoute, q } from "./route-types.js";

const LOG_READERS = ["admin", "auditor"] as const;

export const auditRoutes = [
  defineRoute({
    method: "GET",
    path: "/audit",
    roles: LOG_READERS,
    tag: "audit",
    summary: "The audit log, newest first, by actor, action prefix and target. Cursor: `before` = the last row's id.",
    query: z.object({
      actor: q.text(64).optional(),
      action: q.text(64).optional(),
      target: q.text(200).optional(),
      before: q.int(1, Number.MAX_SAFE_INTEGER).optional(),
      limit: q.int(1, MAX_PAGE).default(DEFAULT_PAGE),
    }),
    handler({ query, container }) {
      const rows = container.admin.audit.list(query).map(({ summaryJson, ...r }) => ({ ...r, summary: JSON.parse(summaryJson) as unknown }));
      const last = rows.at(-1);
      return { body: { entries: rows, nextBefore: rows.length === query.limit && last ? last.id : null } };
    },
  }),
  defineRoute({
    method: "GET",
    path: "/audit/verify",
    roles: LOG_READERS,
    tag: "audit",
    summary: "Walk the hash chain; names the first broken row.",
    handler: ({ container }) => ({ body: { verdict: container.admin.audit.verify() } }),
  }),
  defineRoute({
    method: "GET",
    path: "/dashboard",
    roles: ALL_ROLES,
    tag: "dashboard",
    summary: "Per supplier: last run, inbox backlog, failure rate over 24 h (admin, auditor); order counts by state (admin, procurement).",
    handler({ container, user }) {
      const role = user?.role;
      const body: Record<string, unknown> = {};
      if (role === "admin" || role === "auditor") {
        const suppliers = container.supplierAccounts.list();
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
          };
        });
      }
      if (role === "admin" || role === "procurement") body.orders = container.orders.service.counts();
      return { body };
    },
  }),
];

const DAY_MS = 86_400_000;
