import type { AuditKeys } from "../security/audit-keys.js";
import type { Store } from "../store/database.js";
import type { AccountRepo } from "../store/repos/account-repo.js";
import { createAdminRepo } from "../store/repos/admin-repo.js";
import { createAuditRepo } from "../store/repos/audit-repo.js";
import type { SqlStore } from "../store/sql/sql-store.js";
import { createAdminSessions } from "./admin-sessions.js";
import { createAdminUsers } from "./admin-users.js";
import { createAuditTrail } from "./audit-trail.js";

export type AdminModule = ReturnType<typeof createAdminModule>;

/** Console users, sessions and the audit trail, wired once for the server and the CLI. */
export function createAdminModule(store: Store, accounts: AccountRepo, clock: () => number, auditKeys: AuditKeys) {
  const repo = createAdminRepo(store.sql);
  const transaction: SqlStore["transaction"] = (work) => store.sql.transaction(work);
  const audit = createAuditTrail(createAuditRepo(store.sql), clock, auditKeys);
  // A log written before the chain was keyed is sealed once, before the gateway appends to it.
  const ready: Promise<void> = store.auditLogKeyedNow ? audit.keyUnkeyedRows().then(() => undefined) : Promise.resolve();
  const users = createAdminUsers(repo, accounts, clock, transaction);
  return { ready, repo, audit, users, sessions: createAdminSessions({ repo, users, audit, clock, transaction }) };
}
