import { createHash, randomBytes } from "node:crypto";
import type { AdminRepo, AdminSessionRow, AdminUserRow } from "../store/repos/admin-repo.js";
import { AdminError } from "./admin-errors.js";
import type { AdminUsers } from "./admin-users.js";
import type { AuditTrail } from "./audit-trail.js";

/** A session ends after this long without a request… */
export const SESSION_IDLE_MS = 30 * 60_000;
/** …and in any case this long after login (one working day). */
export const SESSION_MAX_MS = 12 * 3_600_000;
/** Five wrong passwords within 15 minutes lock the username for the rest of that window. */
export const LOCKOUT_FAILURES = 5;
export const LOCKOUT_WINDOW_MS = 15 * 60_000;
/** 256 random bits: the cookie value; only its sha256 is stored. */
const SESSION_ID_BYTES = 32;

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

export type ActiveSession = { user: AdminUserRow; session: AdminSessionRow };

export type AdminSessions = ReturnType<typeof createAdminSessions>;

export function createAdminSessions(deps: { repo: AdminRepo; users: AdminUsers; audit: AuditTrail; clock: () => number }) {
  const { repo, audit, clock } = deps;

  return {
    /** Checks the password under the lockout; every attempt is audited. Returns the cookie value once. */
    async login(username: string, password: string, requestId: string): Promise<{ sessionId: string; csrfToken: string; user: AdminUserRow; expiresAt: number }> {
      const now = clock();
      const record = (outcome: "ok" | "refused", reason?: string, role?: string) =>
        audit.record({ actor: username, role: role ?? null, action: "session.login", target: username, outcome, summary: reason ? { error: reason } : {}, requestId });
      if (repo.loginFailuresSince(username, now - LOCKOUT_WINDOW_MS) >= LOCKOUT_FAILURES) {
        record("refused", "locked");
        throw new AdminError("locked", `too many failed logins for ${username}; try again in ${LOCKOUT_WINDOW_MS / 60_000} minutes`);
      }
      const user = await deps.users.check(username, password);
      if (!user) {
        repo.recordLoginFailure(username, now);
        record("refused", "bad credentials");
        throw new AdminError("unauthenticated", "wrong username or password, or the user is disabled");
      }
      repo.clearLoginFailures(username);
      repo.pruneSessions(now);
      const sessionId = randomBytes(SESSION_ID_BYTES).toString("base64url");
      const csrfToken = randomBytes(SESSION_ID_BYTES).toString("base64url");
      const expiresAt = Math.min(now + SESSION_IDLE_MS, now + SESSION_MAX_MS);
      repo.createSession({ idHash: sha256(sessionId), userId: user.id, csrfToken, createdAt: now, lastSeenAt: now, expiresAt });
      record("ok", undefined, user.role);
      return { sessionId, csrfToken, user, expiresAt };
    },

    /** The live session behind a cookie value (sliding idle expiry), or undefined. */
    resolve(sessionId: string | undefined): ActiveSession | undefined {
      if (!sessionId) return undefined;
      const idHash = sha256(sessionId);
      const session = repo.sessionByHash(idHash);
      const now = clock();
      if (!session) return undefined;
      if (session.expiresAt <= now) {
        repo.deleteSession(idHash);
        return undefined;
      }
      const user = repo.userById(session.userId);
      if (user?.status !== "active") return undefined;
      const expiresAt = Math.min(now + SESSION_IDLE_MS, session.createdAt + SESSION_MAX_MS);
      repo.touchSession(idHash, now, expiresAt);
      return { user, session: { ...session, lastSeenAt: now, expiresAt } };
    },

    logout(session: AdminSessionRow): void {
      repo.deleteSession(session.idHash);
    },
  };
}
