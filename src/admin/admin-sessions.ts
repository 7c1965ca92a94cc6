import { createHash, randomBytes } from "node:crypto";
import type { AdminRepo, AdminSessionRow, AdminUserRow } from "../store/repos/admin-repo.js";
import type { SqlStore, Transaction } from "../store/sql/sql-store.js";
import { AdminError } from "./admin-errors.js";
import type { AdminUsers } from "./admin-users.js";
import { createAuditRateLimit } from "./audit-rate-limit.js";
import type { AuditTrail } from "./audit-trail.js";

/** A session ends after this long without a request… */
export const SESSION_IDLE_MS = 30 * 60_000;
/** …and in any case this long after login (one working day). */
export const SESSION_MAX_MS = 12 * 3_600_000;
/** Five wrong passwords within 15 minutes lock the username for the rest of that window. */
export const LOCKOUT_FAILURES = 5;
export const LOCKOUT_WINDOW_MS = 15 * 60_000;
/** Failed-login audit rows a minute, all usernames together; beyond it they are only counted. */
export const FAILED_LOGIN_AUDIT_ROWS_PER_MINUTE = 30;
/** 256 random bits: the cookie value; only its sha256 is stored. */
const SESSION_ID_BYTES = 32;

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

export type ActiveSession = { user: AdminUserRow; session: AdminSessionRow };

export type AdminSessions = ReturnType<typeof createAdminSessions>;

export function createAdminSessions(deps: {
  repo: AdminRepo;
  users: AdminUsers;
  audit: AuditTrail;
  clock: () => number;
  /** A transaction of the asynchronous store: the session and its audit row land together. */
  transaction: SqlStore["transaction"];
}) {
  const { repo, audit, clock } = deps;
  const failureRows = createAuditRateLimit(FAILED_LOGIN_AUDIT_ROWS_PER_MINUTE, 60_000, clock);

  /**
   * A failed login is audited when it opens a username's window or engages its lock, and then
   * only under the global cap: anyone can cause these rows, so they must not be a free write path.
   */
  const recordFailure = async (username: string, requestId: string, failuresInWindow: number, reason: string): Promise<void> => {
    const admitted = failureRows.admit();
    if (!admitted) return;
    await audit.record({
      actor: username,
      role: null,
      action: "session.login",
      target: username,
      outcome: "refused",
      summary: { error: reason, failuresInWindow, ...(admitted.suppressedBefore > 0 ? { failedLoginsNotAudited: admitted.suppressedBefore } : {}) },
      requestId,
    });
  };

  return {
    /**
     * Checks the password under the lockout. The attempt is counted before scrypt runs, so
     * parallel guesses cannot outrun it. Returns the cookie value once.
     */
    async login(
      username: string,
      password: string,
      requestId: string,
    ): Promise<{ sessionId: string; csrfToken: string; user: AdminUserRow; expiresAt: number }> {
      const now = clock();
      const attempt = await repo.beginLoginAttempt(username, now, LOCKOUT_WINDOW_MS, LOCKOUT_FAILURES);
      if (!attempt.ok) {
        throw new AdminError("locked", `too many failed logins for ${username}; try again in ${LOCKOUT_WINDOW_MS / 60_000} minutes`);
      }
      const user = await deps.users.check(username, password);
      if (!user) {
        const failures = attempt.prior + 1;
        if (attempt.prior === 0) await recordFailure(username, requestId, failures, "bad credentials");
        else if (failures === LOCKOUT_FAILURES) await recordFailure(username, requestId, failures, "locked");
        throw new AdminError("unauthenticated", "wrong username or password, or the user is disabled");
      }
      const sessionId = randomBytes(SESSION_ID_BYTES).toString("base64url");
      const csrfToken = randomBytes(SESSION_ID_BYTES).toString("base64url");
      const expiresAt = Math.min(now + SESSION_IDLE_MS, now + SESSION_MAX_MS);
      // The session and its audit row land together: no session exists that the log does not show.
      await deps.transaction(async (tx) => {
        await repo.clearLoginFailures(username, tx);
        await repo.pruneSessions(now, tx);
        await repo.createSession({ idHash: sha256(sessionId), userId: user.id, csrfToken, createdAt: now, lastSeenAt: now, expiresAt }, tx);
        await audit.recordIn(tx, { actor: username, role: user.role, action: "session.login", target: username, outcome: "ok", summary: {}, requestId });
      });
      return { sessionId, csrfToken, user, expiresAt };
    },

    /** The live session behind a cookie value (sliding idle expiry), or undefined. */
    async resolve(sessionId: string | undefined): Promise<ActiveSession | undefined> {
      if (!sessionId) return undefined;
      const idHash = sha256(sessionId);
      const session = await repo.sessionByHash(idHash);
      const now = clock();
      if (!session) return undefined;
      if (session.expiresAt <= now) {
        await repo.deleteSession(idHash);
        return undefined;
      }
      const user = await repo.userById(session.userId);
      if (user?.status !== "active") return undefined;
      const expiresAt = Math.min(now + SESSION_IDLE_MS, session.createdAt + SESSION_MAX_MS);
      await repo.touchSession(idHash, now, expiresAt);
      return { user, session: { ...session, lastSeenAt: now, expiresAt } };
    },

    /** Ends the session; in `tx` when given (the logout's, with its audit row). */
    async logout(session: AdminSessionRow, tx?: Transaction): Promise<void> {
      await repo.deleteSession(session.idHash, tx);
    },
  };
}
