import { z } from "zod";
import type { AccountRepo } from "../../store/repos/account-repo.js";
import type { AdminRepo } from "../../store/repos/admin-repo.js";
import type { SyncRunRepo } from "../../store/repos/sync-run-repo.js";
import type { SyncService } from "../../sync/sync-service.js";
import { AdminError } from "../admin-errors.js";
import { DEFAULT_PAGE, MAX_PAGE, defineRouteWith, q } from "./route-types.js";
import { requireInScope, scopedSupplier } from "./supplier-scope.js";
import { MessageLogView, QuarantineEntry, RunAttempt, SyncCallView, SyncRunView } from "./views/sync-views.js";

const SYNC_READERS = ["admin", "auditor"] as const;
/** A supplier user reads its own runs, message fates and the calls behind them. */
const LOG_READERS = ["admin", "auditor", "supplier"] as const;
const messageTypes = ["2", "4", "6", "16"] as const;
const outcomes = ["applied", "rejected", "failed", "skipped", "quarantined"] as const;
const supplierCode = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9_-]{2,32}$/);
const RunId = z.object({
  runId: z
    .string()
    .trim()
    .regex(/^run_[A-Za-z0-9_-]{1,40}$/, "a run id (run_…)"),
});

const parseJson = (text: string): unknown => JSON.parse(text) as unknown;

/** Runs, message logs and the calls behind them as the sync service reads them; replaying quarantine. */
export type SyncRouteServices = {
  sync: Pick<SyncService, "runs" | "messageLogs" | "callsOf" | "quarantineEntries" | "replay">;
  syncRuns: Pick<SyncRunRepo, "run">;
  messageLogs: Pick<AdminRepo, "messageLogById">;
  accounts: Pick<AccountRepo, "supplierById">;
};

const defineRoute = defineRouteWith<SyncRouteServices>();

/** Sync runs and the fate of every message, with drill-down to the calls; read-only for auditors. */
export const syncRoutes = [
  defineRoute({
    method: "GET",
    path: "/sync/runs",
    roles: LOG_READERS,
    tag: "sync",
    summary: "Runs, newest first. Cursor: pass the last row's startedAt as `before` for the next page.",
    query: z.object({
      supplier: supplierCode.optional(),
      before: q.int(0, Number.MAX_SAFE_INTEGER).optional(),
      limit: q.int(1, MAX_PAGE).default(DEFAULT_PAGE),
    }),
    response: z.object({ runs: z.array(SyncRunView), nextBefore: z.number().int().nullable().describe("Pass as `before` for the next page; null: no more.") }),
    errors: ["not_found"],
    async handler({ query, services, scope }) {
      const runs = await Promise.all(
        (await services.sync.runs({ ...query, supplier: scopedSupplier(scope, query.supplier) })).map(async (r) => ({
          ...r,
          supplier: (await services.accounts.supplierById(r.supplierId))?.code ?? null,
          counts: parseJson(r.countsJson),
          errors: parseJson(r.errorsJson),
        })),
      );
      const last = runs.at(-1);
      return { body: { runs, nextBefore: runs.length === query.limit && last ? last.startedAt : null } };
    },
  }),
  defineRoute({
    method: "GET",
    path: "/sync/runs/:runId",
    roles: LOG_READERS,
    tag: "sync",
    summary: "One run with its counts and errors.",
    params: RunId,
    response: z.object({ run: SyncRunView }),
    errors: ["not_found"],
    async handler({ params, services, scope }) {
      const run = await services.syncRuns.run(params.runId);
      if (!run) throw new AdminError("not_found", `no run ${params.runId}`);
      requireInScope(scope, run.supplierId, `no run ${params.runId}`);
      const supplier = (await services.accounts.supplierById(run.supplierId))?.code ?? null;
      return { body: { run: { ...run, supplier, counts: parseJson(run.countsJson), errors: parseJson(run.errorsJson) } } };
    },
  }),
  defineRoute({
    method: "GET",
    path: "/sync/messages",
    roles: LOG_READERS,
    tag: "sync",
    summary: "Per-message sync log, oldest first, filtered by supplier, run, type, outcome, sku and time range. Cursor: `afterId` = the last row's id.",
    query: z.object({
      supplier: supplierCode.optional(),
      runId: RunId.shape.runId.optional(),
      type: z.enum(messageTypes).transform(Number).optional(),
      outcome: z.enum(outcomes).optional(),
      sku: q.text(64).optional(),
      from: q.time.optional(),
      to: q.time.optional(),
      afterId: q.int(0, Number.MAX_SAFE_INTEGER).optional(),
      limit: q.int(1, MAX_PAGE).default(DEFAULT_PAGE),
    }),
    response: z.object({
      messages: z.array(MessageLogView),
      nextAfterId: z.number().int().nullable().describe("Pass as `afterId` for the next page; null: no more."),
    }),
    errors: ["not_found"],
    async handler({ query, services, scope }) {
      const rows = (await services.sync.messageLogs({ ...query, supplier: scopedSupplier(scope, query.supplier) })).map((m) => ({
        ...m,
        reasons: parseJson(m.reasonsJson),
        callSeqs: parseJson(m.callSeqsJson) as number[],
      }));
      const last = rows.at(-1);
      return { body: { messages: rows, nextAfterId: rows.length === query.limit && last ? last.id : null } };
    },
  }),
  defineRoute({
    method: "GET",
    path: "/sync/messages/:id/calls",
    roles: LOG_READERS,
    tag: "sync",
    summary: "Drill-down: one message's log row and the supplier calls it made (attempts included).",
    params: z.object({ id: q.int(1, Number.MAX_SAFE_INTEGER) }),
    response: z.object({ message: MessageLogView, calls: z.array(SyncCallView) }),
    errors: ["not_found"],
    async handler({ params, services, scope }) {
      const m = await services.messageLogs.messageLogById(params.id);
      if (!m) throw new AdminError("not_found", `no sync message log ${params.id}`);
      requireInScope(scope, m.supplierId, `no sync message log ${params.id}`);
      const seqs = parseJson(m.callSeqsJson) as number[];
      return {
        body: {
          message: { ...m, reasons: parseJson(m.reasonsJson), callSeqs: seqs },
          calls: seqs.length === 0 ? [] : await services.sync.callsOf(m.runId, seqs),
        },
      };
    },
  }),
  defineRoute({
    method: "GET",
    path: "/sync/quarantine",
    roles: SYNC_READERS,
    tag: "sync",
    summary: "Messages that failed too often or break the contract (unparseable), each with its reason (field and rule) and its body as received (raw).",
    query: z.object({ supplier: supplierCode }),
    response: z.object({ messages: z.array(QuarantineEntry) }),
    errors: ["not_found"],
    handler: async ({ query, services }) => ({ body: { messages: await services.sync.quarantineEntries(query.supplier) } }),
  }),
  defineRoute({
    method: "POST",
    path: "/sync/replay",
    roles: ["admin"],
    tag: "sync",
    summary: "Put quarantined messages back and apply them through the same path.",
    audit: "sync.replay",
    body: z
      .object({ supplier: supplierCode, messageIds: z.array(z.string().trim().min(1).max(64)).min(1).max(1000).optional(), all: z.boolean().optional() })
      .refine((b) => (b.messageIds === undefined) !== (b.all !== true), { message: "give messageIds or all: true (not both)" }),
    response: z.object({ requeued: z.number().int(), attempt: RunAttempt }),
    errors: ["not_found", "conflict"],
    async handler({ body, services }) {
      const { requeued, attempt } = await services.sync.replay(body.supplier, body.all ? "all-quarantined" : (body.messageIds ?? []));
      return {
        body: { requeued, attempt },
        audit: { target: body.supplier, summary: { after: { requeued, runId: attempt.ran ? attempt.summary.runId : null } } },
      };
    },
  }),
];
