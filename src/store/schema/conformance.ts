import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { suppliers } from "./suppliers.js";

/**
 * The gateway's signing keys for test reports and trust marks (ES256). The private JWK is sealed
 * with the key ring like every other secret; a retired key stays published once it has signed
 * anything, for the reports and marks it signed are kept for good.
 */
export const signingKeys = sqliteTable("signing_keys", {
  kid: text("kid").primaryKey(),
  alg: text("alg").notNull(),
  publicJwkJson: text("public_jwk_json").notNull(),
  privateJwkEnc: text("private_jwk_enc").notNull(),
  createdAt: integer("created_at").notNull(),
  retiredAt: integer("retired_at"),
  /** When it first signed a report or mark; null while it has signed nothing. */
  firstSignedAt: integer("first_signed_at"),
});

/** One certification run of the conformance kit against a supplier's test environment. */
export const conformanceRuns = sqliteTable(
  "conformance_runs",
  {
    id: text("id").primaryKey(),
    supplierId: integer("supplier_id")
      .notNull()
      .references(() => suppliers.id),
    baseUrl: text("base_url").notNull(),
    kitVersion: text("kit_version").notNull(),
    contractVersion: text("contract_version").notNull(),
    passed: integer("passed").notNull(),
    startedAt: integer("started_at").notNull(),
    endedAt: integer("ended_at").notNull(),
    /** The module/step verdicts without evidence, for lists and the console. */
    summaryJson: text("summary_json").notNull(),
    /** The signed JSON report exactly as written (its digest is in the mark). */
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

/** The production trust mark (正式环境信任标识) a passing run issues; the state is ours, the JWS the supplier's. */
export const trustMarks = sqliteTable(
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
    issuedAt: integer("issued_at").notNull(),
    expiresAt: integer("expires_at").notNull(),
    state: text("state", { enum: ["valid", "suspended", "revoked"] })
      .notNull()
      .default("valid"),
    stateReason: text("state_reason"),
    stateChangedAt: integer("state_changed_at"),
    /** Set when the contract changed in a way that affects this mark's modules; the mark lapses after it. */
    recertifyBy: integer("recertify_by"),
  },
  (t) => [index("trust_marks_supplier_idx").on(t.supplierId, t.issuedAt), index("trust_marks_kid_idx").on(t.kid)],
);

/** An admin's waiver of the production gate for one supplier, with the reason given. */
export const gateWaivers = sqliteTable("gate_waivers", {
  supplierId: integer("supplier_id")
    .primaryKey()
    .references(() => suppliers.id),
  reason: text("reason").notNull(),
  actor: text("actor").notNull(),
  createdAt: integer("created_at").notNull(),
});

/** What a supplier did on the mall side with its account (M-1…M-7), for the kit's last module. */
export const mallUsage = sqliteTable(
  "mall_usage",
  {
    accountId: integer("account_id").notNull(),
    operation: text("operation").notNull(),
    outcome: text("outcome", { enum: ["ok", "bad_signature", "failed"] }).notNull(),
    firstAt: integer("first_at").notNull(),
  },
  (t) => [uniqueIndex("mall_usage_pk").on(t.accountId, t.operation, t.outcome)],
);

/**
 * A supplier's registered test environment (沙箱) for self-service certification: where the kit
 * calls and with which account; the password and appSecret sealed with the key ring.
 */
export const conformanceSandboxes = sqliteTable("conformance_sandboxes", {
  supplierId: integer("supplier_id")
    .primaryKey()
    .references(() => suppliers.id),
  baseUrl: text("base_url").notNull(),
  username: text("username").notNull(),
  passwordEnc: text("password_enc").notNull(),
  appSecretEnc: text("app_secret_enc").notNull(),
  signMode: text("sign_mode").notNull(),
  bodyFormat: text("body_format").notNull(),
  updatedAt: integer("updated_at").notNull(),
  updatedBy: text("updated_by").notNull(),
});

/**
 * A certification run asked for from the portal, the console or the admin API, run in the
 * background: queued, then running under a lease (renewed while the kit works, so a killed
 * process's run is found and marked interrupted), then passed or failed with its run row beside it.
 */
export const conformanceJobs = sqliteTable(
  "conformance_jobs",
  {
    /** The run's id (crun_…): the run row, the report files and the mark carry it once it ends. */
    id: text("id").primaryKey(),
    supplierId: integer("supplier_id")
      .notNull()
      .references(() => suppliers.id),
    status: text("status", { enum: ["queued", "running", "passed", "failed", "interrupted"] }).notNull(),
    actor: text("actor").notNull(),
    requestedAt: integer("requested_at").notNull(),
    startedAt: integer("started_at"),
    endedAt: integer("ended_at"),
    holder: text("holder"),
    leaseUntil: integer("lease_until"),
    /** The modules finished so far, as the runner reports them: the run page's live progress. */
    progressJson: text("progress_json").notNull().default("[]"),
    /** Why the run could not complete (the kit threw, or the process stopped). */
    error: text("error"),
  },
  (t) => [index("conformance_jobs_status_idx").on(t.status, t.requestedAt), index("conformance_jobs_supplier_idx").on(t.supplierId, t.requestedAt)],
);

/**
 * Production conformance: one supplier's production calls of one Beijing day, tallied per check of
 * the kit (signatures, envelopes, error codes, availability, latency, calls refused as too fast), with
 * the first failing calls as evidence. Written in increments as calls are made.
 */
export const productionChecks = sqliteTable(
  "production_checks",
  {
    supplierId: integer("supplier_id")
      .notNull()
      .references(() => suppliers.id),
    /** yyyy-MM-dd, Beijing time. */
    day: text("day").notNull(),
    check: text("check").notNull(),
    total: integer("total").notNull(),
    failed: integer("failed").notNull(),
    /** Up to a few failing calls: operation, time, outcome, code, message (never credentials). */
    evidenceJson: text("evidence_json").notNull().default("[]"),
  },
  (t) => [uniqueIndex("production_checks_pk").on(t.supplierId, t.day, t.check)],
);

/**
 * A day's production score and what the policy did about it: a warning, a suspension proposed to
 * an admin (who approves or dismisses it), or a suspension made on its own after the bad days.
 */
export const productionScores = sqliteTable(
  "production_scores",
  {
    supplierId: integer("supplier_id")
      .notNull()
      .references(() => suppliers.id),
    day: text("day").notNull(),
    /** 0–100: the share of the day's checks (those with calls) that passed. */
    score: integer("score").notNull(),
    checksJson: text("checks_json").notNull(),
    action: text("action", { enum: ["none", "warn", "propose", "suspend"] }).notNull(),
    /** For a proposal: open until an admin decides. */
    proposal: text("proposal", { enum: ["open", "approved", "dismissed"] }),
    decidedBy: text("decided_by"),
    decidedAt: integer("decided_at"),
    evaluatedAt: integer("evaluated_at").notNull(),
  },
  (t) => [uniqueIndex("production_scores_pk").on(t.supplierId, t.day)],
);
