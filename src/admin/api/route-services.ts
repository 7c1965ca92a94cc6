import type { Container } from "../../container.js";
import type { AccountRepo } from "../../store/repos/account-repo.js";
import type { SqlStore } from "../../store/sql/sql-store.js";
import type { AdminSessions } from "../admin-sessions.js";
import type { AuditTrail } from "../audit-trail.js";
import type { AdminRouteServices } from "./route-table.js";

/** What the admin API reaches: the routes' services, and what the router and runner need around every route. */
export type AdminApiServices = {
  /** Each route module's own slice (route-table.ts). */
  routes: AdminRouteServices;
  /** The session behind a request's cookie. */
  sessions: Pick<AdminSessions, "resolve">;
  /** The supplier a supplier user is bound to (supplier-scope.ts). */
  accounts: Pick<AccountRepo, "supplierById">;
  /** The row every state-changing call leaves, on success and on failure. */
  audit: Pick<AuditTrail, "record" | "recordIn">;
  /** The same on the asynchronous store, for handlers whose writes are there (`commitIn`). */
  transactionIn: SqlStore["transaction"];
};

/** The one place the admin API is wired from the container; the API router and the console share it. */
export function adminApiServices(container: Container): AdminApiServices {
  const { repos, admin } = container;
  return {
    routes: {
      clock: container.clock,
      keys: container.keys,
      accounts: repos.accounts,
      connections: repos.connections,
      products: repos.products,
      reference: repos.reference,
      syncRuns: repos.syncRuns,
      // The admin repository's reads, named by what each route does with them.
      productSearch: admin.repo,
      activity: admin.repo,
      messageLogs: admin.repo,
      audit: admin.audit,
      sessions: admin.sessions,
      users: admin.users,
      supplierAccounts: container.supplierAccounts,
      supplierConnections: container.supplierConnections,
      sync: container.sync,
      orders: container.orders.service,
      conformance: container.conformance,
      conformanceRuns: container.conformanceRuns,
      production: container.production,
    },
    sessions: admin.sessions,
    accounts: repos.accounts,
    audit: admin.audit,
    transactionIn: (work) => container.store.sql.transaction(work),
  };
}
