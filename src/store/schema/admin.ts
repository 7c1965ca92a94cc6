import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { suppliers } from "./suppliers.js";

/** Who may use the admin API and console, and as what (issue 6: roles checked server-side on every route). */
export const adminRoles = ["admin", "procurement", "auditor", "supplier"] as const;

export const adminUsers = sqliteTable(
  "admin_users",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    username: text("username").notNull(),
    /** scrypt, self-describing (src/security/password-hash.ts). */
    passwordHash: text("password_hash").notNull(),
    role: text("role", { enum: adminRoles }).notNull(),
    /** The one supplier a `supplier` user belongs to; null for staff. Every route scopes to it. */
    supplierId: integer("supplier_id").references(() => suppliers.id),
    status: text("status", { enum: ["active", "disabled"] })
      .notNull()
      .default("active"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [uniqueIndex("admin_users_username_uq").on(t.username)],
);

/**
 * A console or script session. Only sha256 of the cookie value is stored, so a copy of the
 * database cannot be replayed as a login; the CSRF token is per session.
 */
export const adminSessions = sqliteTable(
  "admin_sessions",
  {
    idHash: text("id_hash").primaryKey(),
    userId: integer("user_id")
      .notNull()
      .references(() => adminUsers.id),
    csrfToken: text("csrf_token").notNull(),
    createdAt: integer("created_at").notNull(),
    lastSeenAt: integer("last_seen_at").notNull(),
    expiresAt: integer("expires_at").notNull(),
  },
  (t) => [index("admin_sessions_user_idx").on(t.userId)],
);

/** Wrong passwords by attempted username (known or not), for the 5-in-15-minutes lockout. */
export const adminLoginFailures = sqliteTable(
  "admin_login_failures",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    username: text("username").notNull(),
    at: integer("at").notNull(),
  },
  (t) => [index("admin_login_failures_idx").on(t.username, t.at)],
);

/**
 * The tamper-evident audit log: each row stores HMAC-SHA256(audit key, previous hash + its
 * canonical content) and the id of the key, which is kept outside the database, so editing or
 * deleting any row breaks the chain from there on and nobody without the key can recompute it
 * (`npm run cli -- audit verify`). Summaries never carry secrets or personal data.
 */
export const auditLog = sqliteTable(
  "audit_log",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    at: integer("at").notNull(),
    actor: text("actor").notNull(),
    role: text("role"),
    action: text("action").notNull(),
    target: text("target"),
    outcome: text("outcome", { enum: ["ok", "refused", "failed"] }).notNull(),
    /** {before?, after?, error?}: a short summary, never a secret. */
    summaryJson: text("summary_json").notNull(),
    requestId: text("request_id"),
    prevHash: text("prev_hash").notNull(),
    hash: text("hash").notNull(),
    /** The audit key that sealed the row; null only for rows written before keys (upgraded once). */
    keyId: text("key_id"),
  },
  (t) => [index("audit_log_actor_idx").on(t.actor, t.id), index("audit_log_action_idx").on(t.action, t.id), index("audit_log_target_idx").on(t.target, t.id)],
);
