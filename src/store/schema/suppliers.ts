import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/** A supplier (电商) docked to the mall. Contact details are personal data: stored encrypted. */
export const suppliers = sqliteTable(
  "suppliers",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    code: text("code").notNull().unique(),
    name: text("name").notNull(),
    creditCode: text("credit_code").notNull(),
    contactNameEnc: text("contact_name_enc"),
    contactPhoneEnc: text("contact_phone_enc"),
    domainsJson: text("domains_json").notNull().default("[]"),
    status: text("status", { enum: ["active", "disabled"] })
      .notNull()
      .default("active"),
    createdAt: integer("created_at")
      .notNull()
      .default(sql`(unixepoch() * 1000)`),
    updatedAt: integer("updated_at")
      .notNull()
      .default(sql`(unixepoch() * 1000)`),
  },
  (t) => [uniqueIndex("suppliers_credit_code_uq").on(t.creditCode)],
);

/**
 * The account the mall issues a supplier (§2). `credentialsVersion` is embedded in every token,
 * so bumping it (rotation, disable) revokes all of the account's tokens at once.
 */
export const mallAccounts = sqliteTable("mall_accounts", {
  id: integer("id").primaryKey({ autoIncrement: true }),
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
  lockedUntil: integer("locked_until"),
  createdAt: integer("created_at")
    .notNull()
    .default(sql`(unixepoch() * 1000)`),
  updatedAt: integer("updated_at")
    .notNull()
    .default(sql`(unixepoch() * 1000)`),
});

/** Wrong-password attempts, for the 5-in-15-minutes lockout (§2.1). */
export const loginFailures = sqliteTable(
  "login_failures",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    accountId: integer("account_id")
      .notNull()
      .references(() => mallAccounts.id),
    at: integer("at").notNull(),
  },
  (t) => [
    // Retention drops attempts long past the lockout window; an account that is never logged into again would keep them.
    index("login_failures_at_idx").on(t.at),
  ],
);

/** Nonces seen within the replay window (§2.2), per account. */
export const requestNonces = sqliteTable(
  "request_nonces",
  {
    accountId: integer("account_id").notNull(),
    nonce: text("nonce").notNull(),
    seenAt: integer("seen_at").notNull(),
  },
  (t) => [
    uniqueIndex("request_nonces_pk").on(t.accountId, t.nonce),
    // Pruning expired nonces reads by age; without it every prune scans the whole window.
    index("request_nonces_seen_at").on(t.seenAt),
  ],
);
