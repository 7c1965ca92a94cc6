import { statementFor } from "../sql/placeholders.js";
import type { SqlRunner, SqlStore } from "../sql/sql-store.js";
import { conformanceJobs, conformanceSandboxes } from "../schema/index.js";
import { selectColumns } from "./row-sql.js";

export type ConformanceSandboxRow = typeof conformanceSandboxes.$inferSelect;
export type ConformanceJobRow = typeof conformanceJobs.$inferSelect;
export type ConformanceJobStatus = ConformanceJobRow["status"];

export type ConformanceJobRepo = ReturnType<typeof createConformanceJobRepo>;

const SANDBOX = selectColumns(conformanceSandboxes);
const JOB = selectColumns(conformanceJobs);
/** Queued jobs looked at per claim: enough to pass over those of suppliers that already run one. */
const CLAIM_SCAN = 50;

/**
 * Suppliers' registered test environments and the certification runs queued for the background, on
 * the asynchronous store. A method given `on` (a transaction's handle) runs there, with the caller's
 * other writes; without it, on its own.
 */
export function createConformanceJobRepo(sql: SqlStore) {
  const statement = statementFor(sql.dialect);
  const S = {
    sandbox: statement((p) => `SELECT ${SANDBOX} FROM conformance_sandboxes WHERE supplier_id = ${p()}`),
    putSandbox: statement(
      (p) =>
        "INSERT INTO conformance_sandboxes (supplier_id, base_url, username, password_enc, app_secret_enc, sign_mode, body_format, updated_at, updated_by) " +
        `VALUES (${p()}, ${p()}, ${p()}, ${p()}, ${p()}, ${p()}, ${p()}, ${p()}, ${p()}) ON CONFLICT (supplier_id) DO UPDATE SET ` +
        "base_url = excluded.base_url, username = excluded.username, password_enc = excluded.password_enc, app_secret_enc = excluded.app_secret_enc, " +
        "sign_mode = excluded.sign_mode, body_format = excluded.body_format, updated_at = excluded.updated_at, updated_by = excluded.updated_by",
    ),
    job: statement((p) => `SELECT ${JOB} FROM conformance_jobs WHERE id = ${p()}`),
    jobsOf: statement((p) => `SELECT ${JOB} FROM conformance_jobs WHERE supplier_id = ${p()} ORDER BY requested_at DESC LIMIT ${p()}`),
    // Queued, or running under a live lease: a running job whose holder stopped renewing does not count.
    openJobOf: statement(
      (p) => `SELECT ${JOB} FROM conformance_jobs WHERE supplier_id = ${p()} AND (status = 'queued' OR (status = 'running' AND lease_until > ${p()})) LIMIT 1`,
    ),
    requestedSince: statement((p) => `SELECT count(*) AS n FROM conformance_jobs WHERE supplier_id = ${p()} AND requested_at >= ${p()}`),
    enqueue: statement(
      (p) =>
        `INSERT INTO conformance_jobs (id, supplier_id, actor, requested_at, status, progress_json) VALUES (${p()}, ${p()}, ${p()}, ${p()}, 'queued', '[]')`,
    ),
    liveSuppliers: statement((p) => `SELECT supplier_id AS "supplierId" FROM conformance_jobs WHERE status = 'running' AND lease_until > ${p()}`),
    oldestQueued: statement((p) => `SELECT ${JOB} FROM conformance_jobs WHERE status = 'queued' ORDER BY requested_at LIMIT ${p()}`),
    take: statement(
      (p) =>
        `UPDATE conformance_jobs SET status = 'running', holder = ${p()}, lease_until = ${p()}, started_at = ${p()} WHERE id = ${p()} AND status = 'queued'`,
    ),
    renew: statement((p) => `UPDATE conformance_jobs SET lease_until = ${p()} WHERE id = ${p()} AND holder = ${p()} AND status = 'running'`),
    progress: statement((p) => `UPDATE conformance_jobs SET progress_json = ${p()} WHERE id = ${p()} AND holder = ${p()}`),
    finish: statement(
      (p) =>
        `UPDATE conformance_jobs SET status = ${p()}, ended_at = ${p()}, error = ${p()}, holder = NULL, lease_until = NULL ` +
        `WHERE id = ${p()} AND holder = ${p()} AND status = 'running'`,
    ),
    interruptHolder: statement(
      (p) =>
        `UPDATE conformance_jobs SET status = 'interrupted', ended_at = ${p()}, error = ${p()}, holder = NULL, lease_until = NULL ` +
        `WHERE status = 'running' AND holder = ${p()}`,
    ),
    interruptStale: statement(
      (p) =>
        `UPDATE conformance_jobs SET status = 'interrupted', ended_at = ${p()}, error = ${p()}, holder = NULL, lease_until = NULL ` +
        `WHERE status = 'running' AND lease_until <= ${p()}`,
    ),
  };

  return {
    sandbox: (supplierId: number, on: SqlRunner = sql): Promise<ConformanceSandboxRow | undefined> => on.get<ConformanceSandboxRow>(S.sandbox, [supplierId]),
    async putSandbox(row: ConformanceSandboxRow, on: SqlRunner = sql): Promise<void> {
      await on.run(S.putSandbox, [
        row.supplierId,
        row.baseUrl,
        row.username,
        row.passwordEnc,
        row.appSecretEnc,
        row.signMode,
        row.bodyFormat,
        row.updatedAt,
        row.updatedBy,
      ]);
    },

    job: (id: string, on: SqlRunner = sql): Promise<ConformanceJobRow | undefined> => on.get<ConformanceJobRow>(S.job, [id]),
    /** A supplier's jobs, newest first. */
    jobsOf: (supplierId: number, limit: number): Promise<ConformanceJobRow[]> => sql.all<ConformanceJobRow>(S.jobsOf, [supplierId, limit]),
    /** Jobs queued for, or running with a live lease for, the supplier (at most one by the queue's rule). */
    openJobOf: (supplierId: number, now: number, on: SqlRunner = sql): Promise<ConformanceJobRow | undefined> =>
      on.get<ConformanceJobRow>(S.openJobOf, [supplierId, now]),
    /** Jobs the supplier asked for since `since` (the daily cap counts every one, whatever became of it). */
    async requestedSince(supplierId: number, since: number, on: SqlRunner = sql): Promise<number> {
      return Number((await on.get<{ n: number }>(S.requestedSince, [supplierId, since]))?.n ?? 0);
    },
    async enqueue(row: Pick<ConformanceJobRow, "id" | "supplierId" | "actor" | "requestedAt">, on: SqlRunner = sql): Promise<void> {
      await on.run(S.enqueue, [row.id, row.supplierId, row.actor, row.requestedAt]);
    },

    /**
     * The oldest queued job of a supplier with no live running job, taken for `holder` until
     * `leaseUntil` — unless `maxRunning` jobs already run. One transaction (serialisable on
     * PostgreSQL): two instances claiming at once never both take a job, nor two of one supplier.
     */
    claimNext(holder: string, now: number, leaseUntil: number, maxRunning: number): Promise<ConformanceJobRow | null> {
      return sql.transaction(async (tx) => {
        const running = await tx.all<{ supplierId: number }>(S.liveSuppliers, [now]);
        if (running.length >= maxRunning) return null;
        const busy = new Set(running.map((r) => Number(r.supplierId)));
        const next = (await tx.all<ConformanceJobRow>(S.oldestQueued, [CLAIM_SCAN])).find((j) => !busy.has(Number(j.supplierId)));
        if (!next) return null;
        if ((await tx.run(S.take, [holder, leaseUntil, now, next.id])) !== 1) return null;
        return { ...next, status: "running" as const, holder, leaseUntil, startedAt: now };
      });
    },
    /** Extends the lease of a job this holder runs; false when it is no longer its. */
    async renew(id: string, holder: string, leaseUntil: number): Promise<boolean> {
      return (await sql.run(S.renew, [leaseUntil, id, holder])) > 0;
    },
    async progress(id: string, holder: string, progressJson: string): Promise<void> {
      await sql.run(S.progress, [progressJson, id, holder]);
    },
    async finish(id: string, holder: string, status: "passed" | "failed" | "interrupted", endedAt: number, error: string | null): Promise<boolean> {
      return (await sql.run(S.finish, [status, endedAt, error, id, holder])) > 0;
    },
    /** A stopping instance's running jobs: interrupted at once rather than after their lease. */
    interruptHolder(holder: string, now: number, error: string): Promise<number> {
      return sql.run(S.interruptHolder, [now, error, holder]);
    },
    /** Running jobs whose holder stopped renewing (its process died): interrupted, never left running. */
    interruptStale(now: number, error: string): Promise<number> {
      return sql.run(S.interruptStale, [now, error, now]);
    },
  };
}
