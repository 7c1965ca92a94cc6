import { index, integer, pgTable, text, uniqueIndex } from "drizzle-orm/pg-core";
import { epochMs, flag } from "./columns.js";
import { suppliers } from "./suppliers.js";

/** Mirrors src/store/schema/conformance.ts column by column (tests/unit/schema-parity.test.ts). */
export const signingKeys = pgTable("signing_keys", {
  kid: text("kid").primaryKey(),
  alg: text("alg").notNull(),
  publicJwkJson: text("public_jwk_json").notNull(),
  privateJwkEnc: text("private_jwk_enc").notNull(),
  createdAt: epochMs("created_at").notNull(),
  retiredAt: epochMs("retired_at"),
  firstSignedAt: epochMs("first_signed_at"),
});

export const conformanceRuns = pgTable(
  "conformance_runs",
  {
    id: text("id").primaryKey(),
    supplierId: integer("supplier_id")
      .notNull()
      .references(() => suppliers.id),
    baseUrl: text("base_url").notNull(),
    kitVersion: text("kit_version").notNull(),
    contractVersion: text("contract_version").notNull(),
    passed: flag("passed").notNull(),
    startedAt: epochMs("started_at").notNull(),
    endedAt: epochMs("ended_at").notNull(),
    summaryJson: text("summary_json").notNull(),
    reportJson: text("report_json").notNull(),
    reportDigest: text("report_digest").notNull(),
    reportSignature: text("report_signature").notNull(),
    reportJsonPath: text("report_json_path").notNull(),
    reportHtmlPath: text("report_html_path").notNull(),
    markId: text("mark_id"),
    actor: text("actor").notNull(),
  },
  (t) => [index("conformance_runs_supplier_idx").on(t.supplierId, t.startedAt)],
);

export const trustMarks = pgTable(
  "trust_marks",
  {
    id: text("id").primaryKey(),
    supplierId: integer("supplier_id")
      .notNull()
      .references(() => suppliers.id),
    runId: text("run_id").notNull(),
    kid: text("kid").notNull(),
    jws: text("jws").notNull(),
    kitVersion: text("kit_version").notNull(),
    contractVersion: text("contract_version").notNull(),
    issuedAt: epochMs("issued_at").notNull(),
    expiresAt: epochMs("expires_at").notNull(),
    state: text("state", { enum: ["valid", "suspended", "revoked"] })
      .notNull()
      .default("valid"),
    stateReason: text("state_reason"),
    stateChangedAt: epochMs("state_changed_at"),
    recertifyBy: epochMs("recertify_by"),
  },
  (t) => [index("trust_marks_supplier_idx").on(t.supplierId, t.issuedAt), index("trust_marks_kid_idx").on(t.kid)],
);

export const gateWaivers = pgTable("gate_waivers", {
  supplierId: integer("supplier_id")
    .primaryKey()
    .references(() => suppliers.id),
  reason: text("reason").notNull(),
  actor: text("actor").notNull(),
  createdAt: epochMs("created_at").notNull(),
});

export const mallUsage = pgTable(
  "mall_usage",
  {
    accountId: integer("account_id").notNull(),
    operation: text("operation").notNull(),
    outcome: text("outcome", { enum: ["ok", "bad_signature", "failed"] }).notNull(),
    firstAt: epochMs("first_at").notNull(),
  },
  (t) => [uniqueIndex("mall_usage_pk").on(t.accountId, t.operation, t.outcome)],
);

export const conformanceSandboxes = pgTable("conformance_sandboxes", {
  supplierId: integer("supplier_id")
    .primaryKey()
    .references(() => suppliers.id),
  baseUrl: text("base_url").notNull(),
  username: text("username").notNull(),
  passwordEnc: text("password_enc").notNull(),
  appSecretEnc: text("app_secret_enc").notNull(),
  signMode: text("sign_mode").notNull(),
  bodyFormat: text("body_format").notNull(),
  updatedAt: epochMs("updated_at").notNull(),
  updatedBy: text("updated_by").notNull(),
});

export const conformanceJobs = pgTable(
  "conformance_jobs",
  {
    id: text("id").primaryKey(),
    supplierId: integer("supplier_id")
      .notNull()
      .references(() => suppliers.id),
    status: text("status", { enum: ["queued", "running", "passed", "failed", "interrupted"] }).notNull(),
    actor: text("actor").notNull(),
    requestedAt: epochMs("requested_at").notNull(),
    startedAt: epochMs("started_at"),
    endedAt: epochMs("ended_at"),
    holder: text("holder"),
    leaseUntil: epochMs("lease_until"),
    progressJson: text("progress_json").notNull().default("[]"),
    error: text("error"),
  },
  (t) => [index("conformance_jobs_status_idx").on(t.status, t.requestedAt), index("conformance_jobs_supplier_idx").on(t.supplierId, t.requestedAt)],
);

export const productionChecks = pgTable(
  "production_checks",
  {
    supplierId: integer("supplier_id")
      .notNull()
      .references(() => suppliers.id),
    day: text("day").notNull(),
    check: text("check").notNull(),
    total: integer("total").notNull(),
    failed: integer("failed").notNull(),
    evidenceJson: text("evidence_json").notNull().default("[]"),
  },
  (t) => [uniqueIndex("production_checks_pk").on(t.supplierId, t.day, t.check)],
);

export const productionScores = pgTable(
  "production_scores",
  {
    supplierId: integer("supplier_id")
      .notNull()
      .references(() => suppliers.id),
    day: text("day").notNull(),
    score: integer("score").notNull(),
    checksJson: text("checks_json").notNull(),
    action: text("action", { enum: ["none", "warn", "propose", "suspend"] }).notNull(),
    proposal: text("proposal", { enum: ["open", "approved", "dismissed"] }),
    decidedBy: text("decided_by"),
    decidedAt: epochMs("decided_at"),
    evaluatedAt: epochMs("evaluated_at").notNull(),
  },
  (t) => [uniqueIndex("production_scores_pk").on(t.supplierId, t.day)],
);
