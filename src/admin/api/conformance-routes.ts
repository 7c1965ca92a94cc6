import { z } from "zod";
import { SignMode, signModes } from "../../contract/index.js";
import type { ConformanceService } from "../../conformance/conformance-service.js";
import type { ConformanceRunQueue } from "../../conformance/run-queue.js";
import type { AccountRepo } from "../../store/repos/account-repo.js";
import type { GateWaiverRow } from "../../store/repos/conformance-repo.js";
import { AdminError } from "../admin-errors.js";
import { defineRouteWith, q } from "./route-types.js";
import { type SupplierScope, scopedSupplier } from "./supplier-scope.js";
import { ConformanceReport, Mark, RunSummary, Standing } from "./views/conformance-views.js";

const Code = z.object({
  code: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9_-]{2,32}$/, "2–32 of [A-Za-z0-9_-]"),
});
const RunId = z.object({
  id: z
    .string()
    .trim()
    .regex(/^crun_[\w-]{1,40}$/, "a run id (crun_…)"),
});
const Reason = z.object({ reason: z.string().trim().min(1, "required").max(500) });
/** Certification runs, their queue and reports, the marks they issue and the gate's waivers. */
export type ConformanceRouteServices = {
  conformance: Pick<ConformanceService, "show" | "runs" | "standing" | "suspend" | "revoke" | "waive" | "withdrawWaiver">;
  conformanceRuns: Pick<ConformanceRunQueue, "request" | "wake" | "sandboxTarget" | "sandbox" | "jobsOf" | "job">;
  accounts: Pick<AccountRepo, "supplierByCode">;
};

const defineRoute = defineRouteWith<ConformanceRouteServices>();

/** Staff read every supplier's runs; a supplier user reads its own (supplier-scope.ts). */
const READERS = ["admin", "auditor", "supplier"] as const;

/**
 * A run of the caller's scope. Another supplier's run answers exactly as an unknown id does
 * (the service's own not-found message), so a guessed id learns nothing.
 */
async function runOf(conformance: ConformanceRouteServices["conformance"], scope: SupplierScope | undefined, id: string) {
  const shown = await conformance.show(id);
  if (scope && shown.run.supplier !== scope.code) throw new AdminError("not_found", `no conformance run ${id}`);
  return shown;
}

/** A file of a run's report, as a download under `/conformance/runs/:id/NAME`, scoped like the run. */
function reportDownload(
  name: string,
  summary: string,
  mediaType: string,
  file: (shown: Awaited<ReturnType<typeof runOf>>, id: string) => { filename: string; body: string },
) {
  return defineRoute({
    method: "GET",
    path: `/conformance/runs/:id/${name}`,
    roles: READERS,
    tag: "conformance",
    summary,
    params: RunId,
    file: { mediaType, description: `${name}, as a download.` },
    errors: ["not_found"],
    async handler({ params, services, scope }) {
      return { body: null, download: { contentType: `${mediaType}; charset=utf-8`, ...file(await runOf(services.conformance, scope, params.id), params.id) } };
    },
  });
}

/**
 * What a supplier user is not shown of its own runs and standing: where the reports lie on the
 * server's disk, and which admin granted a waiver. Staff see both.
 */
function runFor<T extends { reportJson: string; reportHtml: string }>(scope: SupplierScope | undefined, run: T): T | Omit<T, "reportJson" | "reportHtml"> {
  if (!scope) return run;
  const { reportJson: _json, reportHtml: _html, ...rest } = run;
  return rest;
}

function standingFor<T extends { waiver: { reason: string; actor: string; createdAt: number } | null }>(scope: SupplierScope | undefined, standing: T) {
  if (!scope || !standing.waiver) return standing;
  const { actor: _actor, ...waiver } = standing.waiver;
  return { ...standing, waiver };
}

/** What suspend and revoke answer and audit: the current mark, every mark changed, and the gate waiver the change ended. */
function markStateAnswer(code: string, { before, after, changed, waiverEnded }: Awaited<ReturnType<ConformanceService["suspend"]>>) {
  const waived = (value: boolean) => (waiverEnded ? { waived: value } : {});
  return {
    body: { mark: after, changed, waiverEnded: waiverEnded ? waiverBody(code, waiverEnded) : null },
    audit: {
      target: code,
      summary: {
        before: { mark: before.id, state: before.state, ...waived(true) },
        after: { state: after.state, reason: after.reason, marks: changed, ...waived(false) },
      },
    },
  };
}

const waiverBody = (code: string, waiver: GateWaiverRow) => ({ supplier: code, reason: waiver.reason, actor: waiver.actor, createdAt: waiver.createdAt });

/** A run asked for through the queue: the supplier's sandbox and account there (secrets stored sealed). */
const RunRequest = z.object({
  supplier: Code.shape.code.optional().describe("The supplier to certify; a supplier user may leave it out and gets its own."),
  baseUrl: z
    .url({ protocol: /^https?$/, message: "an http(s) URL" })
    .max(500)
    .transform((u) => u.replace(/\/+$/, "")),
  username: z.string().trim().min(1).max(64),
  password: z.string().min(1).max(128).optional().describe("Left out: the password of the supplier's registered sandbox."),
  appSecret: z.string().min(16, "at least 16 characters").max(256).optional().describe("Left out: the appSecret of the supplier's registered sandbox."),
  signMode: z.enum(signModes).default(SignMode.HmacSha256),
  encoding: z.enum(["form", "json"]).default("form"),
});
const RunJob = z.object({
  id: z.string(),
  supplier: z.string(),
  status: z.enum(["queued", "running", "passed", "failed", "interrupted"]),
  actor: z.string(),
  requestedAt: z.string(),
  startedAt: z.string().nullable(),
  endedAt: z.string().nullable(),
  progress: z.array(z.object({ id: z.string(), title: z.string(), status: z.string() })),
  error: z.string().nullable(),
});
const RunStatus = z.enum(["queued", "running", "passed", "failed", "interrupted"]);
const WaiverBody = z.object({ supplier: z.string(), reason: z.string(), actor: z.string(), createdAt: z.number().int() });
const refusalCodes = { not_found: "not_found", busy: "conflict", limited: "rate_limited" } as const;

/** Certification runs, their signed reports, trust marks and the production gate. */
export const conformanceRoutes = [
  defineRoute({
    method: "POST",
    path: "/conformance/runs",
    roles: ["admin", "supplier"],
    tag: "conformance",
    summary:
      "Start a certification run against a sandbox: the sandbox and its account are registered (password and appSecret stored encrypted) and the run queued; it runs in the background, one per supplier at a time, within a daily cap. A supplier user certifies itself.",
    audit: "conformance.request",
    status: 202,
    body: RunRequest,
    response: z.object({ run: z.object({ id: z.string(), status: RunStatus }) }),
    errors: ["not_found", "conflict", "rate_limited"],
    async handler({ body, services, scope, user }) {
      const supplier = scopedSupplier(scope, body.supplier);
      if (supplier === undefined) throw new AdminError("invalid_input", "supplier is required", [{ field: "body.supplier", message: "required" }]);
      // Secrets left out are the registered sandbox's: the portal shows them masked and asks again only to change them.
      const registered = body.password === undefined || body.appSecret === undefined ? await services.conformanceRuns.sandboxTarget(supplier) : null;
      const password = body.password ?? registered?.password;
      const appSecret = body.appSecret ?? registered?.appSecret;
      if (password === undefined || appSecret === undefined) {
        const missing = [password === undefined ? "password" : null, appSecret === undefined ? "appSecret" : null].filter((f): f is string => f !== null);
        throw new AdminError(
          "invalid_input",
          `no sandbox of ${supplier} is registered: ${missing.join(" and ")} required`,
          missing.map((f) => ({ field: `body.${f}`, message: "required" })),
        );
      }
      const target = { baseUrl: body.baseUrl, username: body.username, password, appSecret, signMode: body.signMode, bodyFormat: body.encoding };
      // The sandbox, the queued run and the audit row land together (the runner's transaction).
      return {
        commitIn: async (tx) => {
          const queued = await services.conformanceRuns.request({ supplier, target, actor: `user:${user?.username ?? "anonymous"}` }, tx);
          if (!queued.ok) throw new AdminError(refusalCodes[queued.reason], queued.message);
          const { id, status } = queued.run;
          return {
            status: 202,
            body: { run: { id, status } },
            audit: { target: supplier, summary: { after: { run: id, baseUrl: body.baseUrl, signMode: body.signMode, encoding: body.encoding } } },
            afterCommit: () => services.conformanceRuns.wake(),
          };
        },
      };
    },
  }),
  defineRoute({
    method: "GET",
    path: "/conformance/self-service",
    roles: READERS,
    tag: "conformance",
    summary:
      "A supplier's registered sandbox (secrets masked) and its latest runs asked for through the queue, with their status and progress (a supplier user: its own).",
    query: z.object({ supplier: Code.shape.code.optional() }),
    response: z.object({
      supplier: z.string(),
      sandbox: z
        .object({
          baseUrl: z.string(),
          username: z.string(),
          password: z.string(),
          appSecret: z.string(),
          signMode: z.string(),
          encoding: z.enum(["form", "json"]),
          updatedAt: z.string(),
          updatedBy: z.string(),
        })
        .nullable(),
      runs: z.array(RunJob),
    }),
    errors: ["not_found"],
    async handler({ query, services, scope }) {
      const supplier = scopedSupplier(scope, query.supplier);
      if (supplier === undefined) throw new AdminError("invalid_input", "supplier is required", [{ field: "query.supplier", message: "required" }]);
      if (!(await services.accounts.supplierByCode(supplier))) throw new AdminError("not_found", `no supplier with code ${supplier}`);
      const [sandbox, runs] = await Promise.all([services.conformanceRuns.sandbox(supplier), services.conformanceRuns.jobsOf(supplier, 10)]);
      return { body: { supplier, sandbox, runs } };
    },
  }),
  defineRoute({
    method: "GET",
    path: "/conformance/runs",
    roles: READERS,
    tag: "conformance",
    summary: "Certification runs, newest first, with each module's and step's verdict (a supplier user: its own only).",
    query: z.object({ supplier: Code.shape.code.optional(), limit: q.int(1, 200).optional() }),
    response: z.object({ runs: z.array(RunSummary) }),
    handler: async ({ query, services, scope }) => ({
      body: {
        runs: (await services.conformance.runs({ supplier: scopedSupplier(scope, query.supplier), limit: query.limit })).map((run) => runFor(scope, run)),
      },
    }),
  }),
  defineRoute({
    method: "GET",
    path: "/conformance/runs/:id",
    roles: READERS,
    tag: "conformance",
    summary: "One run: the full report (modules, steps, evidence), its SHA-256 and detached signature, and the mark it issued.",
    params: RunId,
    response: z.union([
      z.object({
        run: RunSummary.extend({ status: RunStatus.describe("passed or failed once the run has ended") }),
        report: ConformanceReport,
        reportSha256: z.string().describe("hex SHA-256 of report.json"),
        reportSignature: z.string().describe("Detached JWS over the SHA-256 (as report.json.jws)."),
        mark: Mark.nullable(),
      }),
      z.object({ run: RunJob.describe("A run asked for through the queue that has no report: queued, running or interrupted, with its progress.") }),
    ]),
    errors: ["not_found"],
    async handler({ params, services, scope }) {
      const job = await services.conformanceRuns.job(params.id);
      if (job && scope && job.supplier !== scope.code) throw new AdminError("not_found", `no conformance run ${params.id}`);
      // Queued or running (or interrupted): no report yet, the run's progress instead.
      if (job && job.status !== "passed" && job.status !== "failed") return { body: { run: job } };
      const shown = await runOf(services.conformance, scope, params.id);
      const status = job?.status ?? (shown.run.passed ? "passed" : "failed");
      return {
        body: {
          run: { ...runFor(scope, shown.run), status },
          report: shown.report,
          reportSha256: shown.digest,
          reportSignature: shown.signature,
          mark: shown.mark,
        },
      };
    },
  }),
  reportDownload("report.json", "The JSON report exactly as signed (download); its detached JWS is report.json.jws.", "application/json", (shown, id) => ({
    filename: `${id}.json`,
    body: shown.reportText,
  })),
  reportDownload(
    "report.json.jws",
    "The report's detached JWS (ES256 over the SHA-256 of report.json), checkable against /.well-known/jwks.json.",
    "application/jose",
    (shown, id) => ({ filename: `${id}.json.jws`, body: `${shown.signature}\n` }),
  ),
  reportDownload("report.html", "The printable zh-CN report page (self-contained; download).", "text/html", (shown, id) => ({
    filename: `${id}.html`,
    body: shown.html,
  })),
  defineRoute({
    method: "GET",
    path: "/conformance/runs/:id/mark.jws",
    roles: READERS,
    tag: "conformance",
    summary: "The trust mark the run issued (compact JWS), when it passed.",
    params: RunId,
    file: { mediaType: "application/jose", description: "The mark's compact JWS, as a download." },
    errors: ["not_found"],
    async handler({ params, services, scope }) {
      const shown = await runOf(services.conformance, scope, params.id);
      if (!shown.mark) throw new AdminError("not_found", `run ${params.id} issued no trust mark`);
      return { body: null, download: { contentType: "application/jose; charset=utf-8", filename: `${shown.mark.id}.jws`, body: `${shown.mark.jws}\n` } };
    },
  }),
  defineRoute({
    method: "GET",
    path: "/suppliers/:code/trust-mark",
    roles: READERS,
    tag: "conformance",
    summary: "The supplier's current trust mark, whether the production gate lets it through (and why not), and any waiver (a supplier user: its own only).",
    params: Code,
    response: Standing,
    errors: ["not_found"],
    handler: async ({ params, services, scope }) => ({
      body: standingFor(scope, await services.conformance.standing(scopedSupplier(scope, params.code) ?? params.code)),
    }),
  }),
  defineRoute({
    method: "POST",
    path: "/suppliers/:code/trust-mark/suspend",
    roles: ["admin"],
    tag: "conformance",
    summary:
      "Suspend the supplier's trust marks still in their lifetime, with a reason: it is no longer pulled and receives no orders; `changed` lists every mark suspended.",
    audit: "conformance.suspend",
    params: Code,
    body: Reason,
    response: z.object({
      mark: Mark,
      changed: z.array(z.string()).describe("Every mark the change reached."),
      waiverEnded: WaiverBody.nullable().describe("The gate waiver this change ended, if there was one."),
    }),
    errors: ["not_found", "conflict"],
    // The marks' change, what decided it and the audit row in one transaction.
    handler: ({ params, body, services }) => ({
      commitIn: async (tx) => markStateAnswer(params.code, await services.conformance.suspend(params.code, body.reason, tx)),
    }),
  }),
  defineRoute({
    method: "POST",
    path: "/suppliers/:code/trust-mark/revoke",
    roles: ["admin"],
    tag: "conformance",
    summary:
      "Revoke the supplier's trust marks still in their lifetime, with a reason; only a new passing certification run gives it another. `changed` lists every mark revoked.",
    audit: "conformance.revoke",
    params: Code,
    body: Reason,
    response: z.object({
      mark: Mark,
      changed: z.array(z.string()).describe("Every mark the change reached."),
      waiverEnded: WaiverBody.nullable().describe("The gate waiver this change ended, if there was one."),
    }),
    errors: ["not_found", "conflict"],
    // The marks' change, what decided it and the audit row in one transaction.
    handler: ({ params, body, services }) => ({
      commitIn: async (tx) => markStateAnswer(params.code, await services.conformance.revoke(params.code, body.reason, tx)),
    }),
  }),
  defineRoute({
    method: "POST",
    path: "/suppliers/:code/gate-waiver",
    roles: ["admin"],
    tag: "conformance",
    summary:
      "Waive the production gate for this supplier (e.g. already docked with another mall), with the reason; shown on its page. A later suspension or revocation of its marks ends the waiver.",
    audit: "supplier.waive_gate",
    params: Code,
    body: Reason,
    response: z.object({ waiver: WaiverBody }),
    errors: ["not_found"],
    // The waiver and its audit row in one transaction.
    handler: ({ params, body, services, user }) => ({
      commitIn: async (tx) => {
        const waiver = await services.conformance.waive(params.code, body.reason, user?.username ?? "anonymous", tx);
        return {
          body: { waiver: waiverBody(params.code, waiver) },
          audit: { target: params.code, summary: { after: { waived: true, reason: waiver.reason } } },
        };
      },
    }),
  }),
  defineRoute({
    method: "POST",
    path: "/suppliers/:code/gate-waiver/withdraw",
    roles: ["admin"],
    tag: "conformance",
    summary:
      "Withdraw the supplier's gate waiver, with the reason: without a valid trust mark it is no longer pulled and receives no orders. 404 when it has no waiver.",
    audit: "supplier.withdraw_waiver",
    params: Code,
    body: Reason,
    response: z.object({ withdrawn: WaiverBody, reason: z.string(), gate: Standing.shape.gate }),
    errors: ["not_found"],
    // The waiver read and removed, the gate it leaves and the audit row, in one transaction.
    handler: ({ params, body, services }) => ({
      commitIn: async (tx) => {
        const waiver = await services.conformance.withdrawWaiver(params.code, body.reason, tx);
        const { gate } = await services.conformance.standing(params.code, tx);
        return {
          body: { withdrawn: waiverBody(params.code, waiver), reason: body.reason, gate },
          audit: { target: params.code, summary: { before: { waived: true, reason: waiver.reason }, after: { waived: false, reason: body.reason } } },
        };
      },
    }),
  }),
];
