import { z } from "zod";
import type { SupplierAccounts } from "../../accounts/supplier-accounts.js";
import type { AccountRepo } from "../../store/repos/account-repo.js";
import type { AdminRepo } from "../../store/repos/admin-repo.js";
import { ALL_ROLES, defineRouteWith, q } from "./route-types.js";
import { Charts } from "./views/audit-views.js";

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
/** Latency figures come from at most this many recent calls, so a busy day stays cheap to chart. */
const MAX_CALLS = 100_000;

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

/** The suppliers charted and their activity: messages, calls, backlog and order transitions. */
export type ChartRouteServices = {
  supplierAccounts: Pick<SupplierAccounts, "list">;
  accounts: Pick<AccountRepo, "supplierByCode">;
  activity: Pick<AdminRepo, "outcomesPerHour" | "callsSince" | "supplierHealth" | "orderTransitionsPerDay">;
  clock: () => number;
};

const defineRoute = defineRouteWith<ChartRouteServices>();

/**
 * The figures behind the console's charts: per supplier, messages by outcome per hour, call
 * latency p50/p95 and error rate per hour, and the backlog; order transitions per day. A supplier
 * user gets its own supplier's figures only.
 */
export const chartRoutes = [
  defineRoute({
    method: "GET",
    path: "/charts",
    roles: ALL_ROLES,
    tag: "dashboard",
    summary:
      "Chart figures: per supplier, message outcomes and call latency p50/p95/error rate per hour over `hours` (default 24), backlog now (admin, auditor, supplier: its own); order transitions per day over `days` (admin, procurement, supplier: its own).",
    query: z.object({ hours: q.int(1, 168).default(24), days: q.int(1, 90).default(14) }),
    response: Charts,
    async handler({ query, services, user, scope }) {
      const now = services.clock();
      const to = now - (now % HOUR_MS) + HOUR_MS;
      const from = to - query.hours * HOUR_MS;
      const role = user?.role;
      const body: Record<string, unknown> = { from, to };
      if (role === "admin" || role === "auditor" || scope) {
        const suppliers = (await services.supplierAccounts.list()).filter((s) => !scope || s.code === scope.code);
        const ids = await Promise.all(suppliers.map(async (s) => (await services.accounts.supplierByCode(s.code))?.id ?? -1));
        const outcomes = await services.activity.outcomesPerHour(from, scope?.supplierId);
        const calls = await services.activity.callsSince(from, MAX_CALLS, scope?.supplierId);
        const health = await services.activity.supplierHealth(ids, from);
        body.suppliers = suppliers.map((s, i) => {
          const id = ids[i];
          const hourly = new Map<number, Record<string, number>>();
          for (const o of outcomes) {
            if (o.supplierId !== id) continue;
            const row = hourly.get(o.hour) ?? {};
            row[o.outcome] = (row[o.outcome] ?? 0) + o.n;
            hourly.set(o.hour, row);
          }
          const byHour = new Map<number, { durations: number[]; errors: number }>();
          for (const c of calls) {
            if (c.supplierId !== id) continue;
            const at = Date.parse(c.startedAt);
            if (!Number.isFinite(at) || at < from) continue;
            const hour = at - (at % HOUR_MS);
            const bucket = byHour.get(hour) ?? { durations: [], errors: 0 };
            bucket.durations.push(c.durationMs);
            if (c.outcome !== "ok") bucket.errors += 1;
            byHour.set(hour, bucket);
          }
          return {
            code: s.code,
            name: s.name,
            backlog: health[i]?.backlog ?? 0,
            hourly: [...hourly.entries()]
              .sort((a, b) => a[0] - b[0])
              .map(([hour, n]) => ({
                hour,
                applied: n.applied ?? 0,
                rejected: n.rejected ?? 0,
                quarantined: n.quarantined ?? 0,
                failed: n.failed ?? 0,
                skipped: n.skipped ?? 0,
              })),
            latency: [...byHour.entries()]
              .sort((a, b) => a[0] - b[0])
              .map(([hour, b]) => {
                const sorted = [...b.durations].sort((x, y) => x - y);
                return { hour, calls: sorted.length, p50: percentile(sorted, 50), p95: percentile(sorted, 95), errorRate: b.errors / sorted.length };
              }),
          };
        });
      }
      if (role === "admin" || role === "procurement" || scope) {
        const since = to - query.days * DAY_MS;
        body.orders = { from: since, transitions: await services.activity.orderTransitionsPerDay(since, scope?.supplierId) };
      }
      return { body };
    },
  }),
];
