import { sql } from "drizzle-orm";
import { bigint, index, integer, pgTable, text, uniqueIndex } from "drizzle-orm/pg-core";
import { epochMs } from "./columns.js";

/** Mirrors src/store/schema/suppliers.ts column by column (tests/unit/schema-parity.test.ts). */
const nowMs = sql`(extract(epoch from now()) * 1000)::bigint`;

export const suppliers = pgTable(
  "suppliers",
  {
    id: integer("id").primaryKey().generatedByDefaultAsIdentity(),
    code: text("code").notNull().unique(),
    name: text("name").notNull(),
    creditCode: text("credit_code").notNull(),
    contactNameEnc: text("contact_name_enc"),
    contactPhoneEnc: text("contact_phone_enc"),
    domainsJson: text("domains_json").notNull().default("[]"),
    status: text("status", { enum: ["active", "disabled"] })
      .notNull()
      .default("active"),
    createdAt: epochMs("created_at").notNull().default(nowMs),
    updatedAt: epochMs("updated_at").notNull().default(nowMs),
  },
  (t) => [uniqueIndex("suppliers_credit_code_uq").on(t.creditCode)],
);

export const mallAccounts = pgTable("mall_accounts", {
  id: integer("id").primaryKey().generatedByDefaultAsIdentity(),
  supplierId: integer("supplier_id")
    .notNull()
    .references(() => suppliers.id),
  username: text("username").notNull().unique(),
  passwordHash: text("password_hash").notNull(),
  appSecretEnc: text("app_secret_enc").notNull(),
  signMode: text("sign_mode", { enum: ["hmac-sha256", "yggc-md5"] })
    .notNull()
    .default("hmac-sha256"),
  status: text("status", { enum: ["active", "disabled"] })
    .notNull()
    .default("active"),
  credentialsVersion: integer("credentials_version").notNull().default(1),
  lockedUntil: epochMs("locked_until"),
  createdAt: epochMs("created_at").notNull().default(nowMs),
  updatedAt: epochMs("updated_at").notNull().default(nowMs),
});

export const loginFailures = pgTable(
  "login_failures",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedByDefaultAsIdentity(),
    accountId: integer("account_id")
      .notNull()
      .references(() => mallAccounts.id),
    at: epochMs("at").notNull(),
  },
  (t) => [index("login_failures_at_idx").on(t.at)],
);

export const requestNonces = pgTable(
  "request_nonces",
  {
    accountId: integer("account_id").notNull(),
    nonce: text("nonce").notNull(),
    seenAt: epochMs("seen_at").notNull(),
  },
  (t) => [uniqueIndex("request_nonces_pk").on(t.accountId, t.nonce), index("request_nonces_seen_at").on(t.seenAt)],
);
