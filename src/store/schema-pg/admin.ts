import { bigint, index, integer, pgTable, text, uniqueIndex } from "drizzle-orm/pg-core";
import { adminRoles } from "../schema/admin.js";
import { epochMs } from "./columns.js";
import { suppliers } from "./suppliers.js";

/** Mirrors src/store/schema/admin.ts column by column (tests/unit/schema-parity.test.ts). */
export const adminUsers = pgTable(
  "admin_users",
  {
    id: integer("id").primaryKey().generatedByDefaultAsIdentity(),
    username: text("username").notNull(),
    passwordHash: text("password_hash").notNull(),
    role: text("role", { enum: adminRoles }).notNull(),
    supplierId: integer("supplier_id").references(() => suppliers.id),
    status: text("status", { enum: ["active", "disabled"] })
      .notNull()
      .default("active"),
    createdAt: epochMs("created_at").notNull(),
    updatedAt: epochMs("updated_at").notNull(),
  },
  (t) => [uniqueIndex("admin_users_username_uq").on(t.username)],
);

export const adminSessions = pgTable(
  "admin_sessions",
  {
    idHash: text("id_hash").primaryKey(),
    userId: integer("user_id")
      .notNull()
      .references(() => adminUsers.id),
    csrfToken: text("csrf_token").notNull(),
    createdAt: epochMs("created_at").notNull(),
    lastSeenAt: epochMs("last_seen_at").notNull(),
    expiresAt: epochMs("expires_at").notNull(),
  },
  (t) => [index("admin_sessions_user_idx").on(t.userId)],
);

export const adminLoginFailures = pgTable(
  "admin_login_failures",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedByDefaultAsIdentity(),
    username: text("username").notNull(),
    at: epochMs("at").notNull(),
  },
  (t) => [index("admin_login_failures_idx").on(t.username, t.at)],
);

export const auditLog = pgTable(
  "audit_log",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedByDefaultAsIdentity(),
    at: epochMs("at").notNull(),
    actor: text("actor").notNull(),
    role: text("role"),
    action: text("action").notNull(),
    target: text("target"),
    outcome: text("outcome", { enum: ["ok", "refused", "failed"] }).notNull(),
    summaryJson: text("summary_json").notNull(),
    requestId: text("request_id"),
    prevHash: text("prev_hash").notNull(),
    hash: text("hash").notNull(),
    keyId: text("key_id"),
  },
  (t) => [index("audit_log_actor_idx").on(t.actor, t.id), index("audit_log_action_idx").on(t.action, t.id), index("audit_log_target_idx").on(t.target, t.id)],
);
