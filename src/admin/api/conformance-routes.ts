import { z } from "zod";
import type { Container } from "../../container.js";
import { AdminError } from "../admin-errors.js";
import { defineRoute, q } from "./route-types.js";
import { type SupplierScope, scopedSupplier } from "./supplier-scope.js";
import { ConformanceReport, Mark, RunSummary, Standing } from "./views/conformance-views.js";

const Code = z.object({ code: z.string().trim().regex(/^[A-Za-z0-9_-]{2,32}$/, "2–32 of [A-Za-z0-9_-]") });
const RunId = z.object({ id: z.string().trim().regex(/^crun_[\w-]{1,40}$/, "a run id (crun_…)") });
const Reason = z.object({ reason: z.string().trim().min(1, "required").max(500) });
/** Staff read every supplier's runs; a supplier user reads its own (supplier-scope.ts). */
const READERS = ["admin", "auditor", "supplier"] as const;

/**
 * A run of the caller's scope. Another supplier's run answers exactly as an unknown id does
 * (the service's own not-found message), so a guessed id learns nothing.
 */
function runOf(container: Container, scope: SupplierScope | undefined, id: string) {
  const shown = container.conformance.show(id);
  if (scope && shown.run.supplier !== scope.code) throw new AdminError("not_found", `no conformance run ${id}`);
  return shown;
}

/** A file of a run's report, as a download under `/conformance/runs/:id/NAME`, scoped like the run. */
function reportDownload(
  name: string,
  summary: string,
  mediaType: string,
  file: (shown: ReturnType<typeof runOf>, id: string) => { filename: string; body: string },
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
    handler({ params, container, scope }) {
      return { body: null, download: { contentType: `${mediaType}; charset=utf-8`, ...file(runOf(container, scope, params.id), params.id) } };
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

/** Certification runs, their signed reports, trust marks and the production gate. */
export const conformanceRoutes = [
  defineRoute({
    method: "GET",
    path: "/conformance/runs",
    roles: READERS,
    tag: "conformance",
    summary: "Certification runs, newest first, with each module's and step's verdict (a supplier user: its own only).",
    query: z.object({ supplier: Code.shape.code.optional(), limit: q.int(1, 200).optional() }),
    response: z.object({ runs: z.array(RunSummary) }),
    handler: ({ query, container, scope }) => ({ body: { runs: container.conformance.runs({ supplier: scopedSupplier(scope, query.supplier), limit: query.limit }).map((run) => runFor(scope, run)) } }),
  }),
  defineRoute({
    method: "GET",
    path: "/conformance/runs/:id",
    roles: READERS,
    tag: "conformance",
    summary: "One run: the full report (modules, steps, evidence), its SHA-256 and detached signature, and the mark it issued.",
    params: RunId,
    response: z.object({
      run: RunSummary,
      report: ConformanceReport,
      reportSha256: z.string().describe("hex SHA-256 of report.json"),
      reportSignature: z.string().describe("Detached JWS over the SHA-256 (as report.json.jws)."),
      mark: Mark.nullable(),
    }),
    errors: ["not_found"],
    handler({ params, container, scope }) {
      const shown = runOf(container, scope, params.id);
      return { body: { run: runFor(scope, shown.run), report: shown.report, reportSha256: shown.digest, reportSignature: shown.signature, mark: shown.mark } };
    },
  }),
  reportDownload("report.json", "The JSON report exactly as signed (download); its detached JWS is report.json.jws.", "application/json", (shown, id) => ({ filename: `${id}.json`, body: shown.reportText })),
  reportDownload("report.json.jws", "The report's detached JWS (ES256 over the SHA-256 of report.json), checkable against /.well-known/jwks.json.", "application/jose", (shown, id) => ({ filename: `${id}.json.jws`, body: `${shown.signature}\n` })),
  reportDownload("report.html", "The printable zh-CN report page (self-contained; download).", "text/html", (shown, id) => ({ filename: `${id}.html`, body: shown.html })),
  defineRoute({
    method: "GET",
    path: "/conformance/runs/:id/mark.jws",
    roles: READERS,
    tag: "conformance",
    summary: "The trust mark the run issued (compact JWS), when it passed.",
    params: RunId,
    file: { mediaType: "application/jose", description: "The mark's compact JWS, as a download." },
    errors: ["not_found"],
    handler({ params, container, scope }) {
      const shown = runOf(container, scope, params.id);
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
    handler: ({ params, container, scope }) => ({ body: standingFor(scope, container.conformance.standing(scopedSupplier(scope, params.code) ?? params.code)) }),
  }),
  defineRoute({
    method: "POST",
    path: "/suppliers/:code/trust-mark/suspend",
    roles: ["admin"],
    tag: "conformance",
    summary: "Suspend the supplier's trust mark with a reason: it is no longer pulled and receives no orders.",
    audit: "conformance.suspend",
    atomic: true,
    params: Code,
    body: Reason,
    response: z.object({ mark: Mark }),
    errors: ["not_found", "conflict"],
    handler({ params, body, container }) {
      const { before, after } = container.conformance.suspend(params.code, body.reason);
      return { body: { mark: after }, audit: { target: params.code, summary: { before: { mark: before.id, state: before.state }, after: { state: after.state, reason: after.reason } } } };
    },
  }),
  defineRoute({
    method: "POST",
    path: "/suppliers/:code/trust-mark/revoke",
    roles: ["admin"],
    tag: "conformance",
    summary: "Revoke the supplier's trust mark with a reason; only a new passing certification run gives it another.",
    audit: "conformance.revoke",
    atomic: true,
    params: Code,
    body: Reason,
    response: z.object({ mark: Mark }),
    errors: ["not_found", "conflict"],
    handler({ params, body, container }) {
      const { before, after } = container.conformance.revoke(params.code, body.reason);
      return { body: { mark: after }, audit: { target: params.code, summary: { before: { mark: before.id, state: before.state }, after: { state: after.state, reason: after.reason } } } };
    },
  }),
  defineRoute({
    method: "POST",
    path: "/suppliers/:code/gate-waiver",
    roles: ["admin"],
    tag: "conformance",
    summary: "Waive the production gate for this supplier (e.g. already docked with another mall), with the reason; shown on its page.",
    audit: "supplier.waive_gate",
    atomic: true,
    params: Code,
    body: Reason,
    response: z.object({ waiver: z.object({ supplier: z.string(), reason: z.string(), actor: z.string(), createdAt: z.number().int() }) }),
    errors: ["not_found"],
    handler({ params, body, container, user }) {
      const waiver = container.conformance.waive(params.code, body.reason, user?.username ?? "anonymous");
      return { body: { waiver: { supplier: params.code, reason: waiver.reason, actor: waiver.actor, createdAt: waiver.createdAt } }, audit: { target: params.code, summary: { after: { waived: true, reason: waiver.reason } } } };
    },
  }),
];
