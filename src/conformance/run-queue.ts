import type { SqlRunner, Transaction } from "../store/sql/sql-store.js";
import { hostname } from "node:os";
import type { SignMode } from "../contract/index.js";
import { beijingDayStart } from "../lib/beijing-time.js";
import { newId } from "../lib/ids.js";
import type { Logger } from "../lib/logger.js";
import type { KeyRing } from "../security/key-ring.js";
import type { AccountRepo } from "../store/repos/account-repo.js";
import type { ConformanceJobRepo, ConformanceJobRow, ConformanceJobStatus, ConformanceSandboxRow } from "../store/repos/conformance-job-repo.js";
import type { ModuleResult } from "./plan.js";
import type { KitRunInput, SandboxTarget } from "./runner.js";

/** How often the queue looks for work, and for runs whose process died. */
const POLL_MS = 1_000;
const MASK = "••••••";

export type RunQueueSettings = {
  /** Runs executing at once across every instance on the database. */
  maxConcurrent: number;
  /** Runs one supplier may ask for per day (Beijing time), whatever became of them. */
  runsPerDay: number;
  /** A running run's lease; renewed a third of the way, so a killed process's run is interrupted after it. */
  leaseMs: number;
  /** A run still going after this long is interrupted: a sandbox that never answers holds no slot for good. */
  runTimeoutMs: number;
};

/** The progress a run page shows: each module as it starts and ends. */
export type ModuleProgress = { id: string; title: string; status: "running" | ModuleResult["status"] };

export type RunJobView = {
  id: string;
  supplier: string;
  status: ConformanceJobStatus;
  actor: string;
  requestedAt: string;
  startedAt: string | null;
  endedAt: string | null;
  progress: ModuleProgress[];
  error: string | null;
};

/** The registered sandbox as shown: the secrets masked. */
export type SandboxView = {
  baseUrl: string;
  username: string;
  password: string;
  appSecret: string;
  signMode: string;
  encoding: "form" | "json";
  updatedAt: string;
  updatedBy: string;
};

/** Why a run was not queued. */
export type RequestRefusal = { ok: false; reason: "not_found" | "busy" | "limited"; message: string };

type RunOne = (args: {
  supplier: string;
  target: SandboxTarget;
  actor: string;
  runId: string;
  onModule: KitRunInput["onModule"];
  stillOurs: () => Promise<boolean>;
}) => Promise<{ run: { passed: boolean } }>;

export type RunQueueDeps = {
  jobs: ConformanceJobRepo;
  accounts: Pick<AccountRepo, "supplierByCode" | "supplierById">;
  keys: KeyRing;
  /** The kit itself (ConformanceService.run): writes the run row, the report and any mark. */
  run: RunOne;
  settings: RunQueueSettings;
  clock: () => number;
  logger: Logger;
};

export type ConformanceRunQueue = ReturnType<typeof createConformanceRunQueue>;

/**
 * Certification runs asked for from the portal, the console or the admin API: the sandbox is
 * registered (secrets sealed), the run queued, and a background worker in every instance takes
 * queued runs under a lease — one per supplier at a time, `maxConcurrent` at once. A run whose
 * process died is marked interrupted once its lease runs out, and can be asked for again.
 */
export function createConformanceRunQueue(deps: RunQueueDeps) {
  const holder = `${hostname()}:${process.pid}:${newId("cq", 6)}`;
  const log = deps.logger.child({ component: "conformance-queue" });
  const active = new Map<string, Promise<void>>();
  let timer: NodeJS.Timeout | null = null;
  let stopping = false;

  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  const codeOf = async (supplierId: number, tx?: SqlRunner) => (await deps.accounts.supplierById(supplierId, tx))?.code ?? String(supplierId);
  const view = async (job: ConformanceJobRow, tx?: SqlRunner): Promise<RunJobView> => ({
    id: job.id,
    supplier: await codeOf(job.supplierId, tx),
    status: job.status,
    actor: job.actor,
    requestedAt: new Date(job.requestedAt).toISOString(),
    startedAt: iso(job.startedAt),
    endedAt: iso(job.endedAt),
    progress: JSON.parse(job.progressJson) as ModuleProgress[],
    error: job.error,
  });

  const execute = async (job: ConformanceJobRow): Promise<void> => {
    const code = await codeOf(job.supplierId);
    const runLog = log.child({ runId: job.id, supplier: code });
    const sandbox = await deps.jobs.sandbox(job.supplierId);
    const renewal = setInterval(
      () => {
        deps.jobs.renew(job.id, holder, deps.clock() + deps.settings.leaseMs).then(
          (renewed) => {
            if (!renewed) runLog.warn({ event: "conformance.job.lease_lost" }, "the run's lease was taken; its outcome will not be recorded");
          },
          (err: unknown) => runLog.warn({ event: "conformance.job.renew_failed", err }, "lease not renewed; retried"),
        );
      },
      Math.max(100, Math.floor(deps.settings.leaseMs / 3)),
    );
    renewal.unref();
    const progress: ModuleProgress[] = [];
    const onModule: KitRunInput["onModule"] = (event) => {
      const entry: ModuleProgress = { id: event.module.id, title: event.module.title, status: event.result?.status ?? "running" };
      const at = progress.findIndex((p) => p.id === entry.id);
      if (at >= 0) progress[at] = entry;
      else progress.push(entry);
      deps.jobs
        .progress(job.id, holder, JSON.stringify(progress))
        .catch((err: unknown) => runLog.warn({ event: "conformance.job.progress_failed", err }, "progress not recorded"));
    };
    let status: "passed" | "failed" | "interrupted" = "interrupted";
    let error: string | null = null;
    let timedOut = false;
    let deadline: NodeJS.Timeout | undefined;
    // Still this instance's, and not past its deadline: asked before the run and a mark are stored.
    const stillOurs = async () => !timedOut && (await deps.jobs.renew(job.id, holder, deps.clock() + deps.settings.leaseMs));
    try {
      if (!sandbox) throw new Error("no sandbox is registered for this supplier");
      runLog.info({ event: "conformance.job.started" }, "certification run started");
      const kit = deps.run({ supplier: code, target: targetOf(sandbox), actor: job.actor, runId: job.id, onModule, stillOurs });
      const timeout = new Promise<never>((_, reject) => {
        deadline = setTimeout(() => {
          timedOut = true;
          reject(new Error(`the run took longer than ${Math.round(deps.settings.runTimeoutMs / 60_000)} min and was stopped; its result is not recorded`));
        }, deps.settings.runTimeoutMs);
        deadline.unref();
      });
      // A kit left running past its deadline ends on its own calls' timeouts and records nothing.
      kit.catch(() => undefined);
      const { run } = await Promise.race([kit, timeout]);
      status = run.passed ? "passed" : "failed";
    } catch (err) {
      // Not the supplier's verdict: the run could not complete here, and may be asked for again.
      error = err instanceof Error ? err.message : String(err);
      runLog.error({ event: "conformance.job.interrupted", err }, "certification run could not complete");
    } finally {
      clearInterval(renewal);
      clearTimeout(deadline);
    }
    if (!(await deps.jobs.finish(job.id, holder, status, deps.clock(), error)))
      runLog.warn({ event: "conformance.job.finish_lost", status }, "the run was no longer this instance's; outcome not recorded");
    else runLog.info({ event: "conformance.job.finished", status }, "certification run finished");
  };

  const targetOf = (s: ConformanceSandboxRow): SandboxTarget => ({
    baseUrl: s.baseUrl,
    username: s.username,
    password: deps.keys.decrypt(s.passwordEnc),
    appSecret: deps.keys.decrypt(s.appSecretEnc),
    signMode: s.signMode as SignMode,
    bodyFormat: s.bodyFormat === "json" ? "json" : "form",
  });

  /** One pump at a time in this instance; a pump asked for meanwhile runs once it is done. */
  let pumping: Promise<void> | null = null;
  let pumpAgain = false;
  /** Interrupts dead runs, then takes queued ones while the limits allow. Never rejects (a timer calls it). */
  const pumpOnce = async (): Promise<void> => {
    if (stopping) return;
    try {
      const now = deps.clock();
      const interrupted = await deps.jobs.interruptStale(now, "the process running it stopped before it ended");
      if (interrupted > 0) log.warn({ event: "conformance.job.interrupted_stale", count: interrupted }, "runs of a stopped process marked interrupted");
      while (!stopping) {
        const job = await deps.jobs.claimNext(holder, now, now + deps.settings.leaseMs, deps.settings.maxConcurrent);
        if (!job) break;
        const running = execute(job).finally(() => {
          active.delete(job.id);
          setImmediate(pump);
        });
        active.set(job.id, running);
      }
    } catch (err) {
      log.error({ event: "conformance.queue.failed", err }, "conformance queue not served; retried");
    }
  };
  const pump = (): void => {
    if (pumping) {
      pumpAgain = true;
      return;
    }
    pumping = pumpOnce().finally(() => {
      pumping = null;
      if (pumpAgain) {
        pumpAgain = false;
        pump();
      }
    });
  };

  return {
    /**
     * Registers the supplier's sandbox (secrets sealed; a later request replaces it) and queues a
     * run against it. Refused while one of the supplier's runs is queued or running, and past the
     * daily cap.
     */
    async request(args: { supplier: string; target: SandboxTarget; actor: string }, on?: Transaction): Promise<{ ok: true; run: RunJobView } | RequestRefusal> {
      const supplier = await deps.accounts.supplierByCode(args.supplier, on);
      if (!supplier) return { ok: false, reason: "not_found", message: `no supplier with code ${args.supplier}` };
      const now = deps.clock();
      const open = await deps.jobs.openJobOf(supplier.id, now, on);
      if (open) return { ok: false, reason: "busy", message: `a certification run of ${supplier.code} is already ${open.status}: ${open.id}` };
      const today = await deps.jobs.requestedSince(supplier.id, beijingDayStart(now), on);
      if (today >= deps.settings.runsPerDay) {
        return {
          ok: false,
          reason: "limited",
          message: `${supplier.code} has asked for ${today} certification runs today, the most a day (CONFORMANCE_RUNS_PER_DAY); try again tomorrow (Beijing time)`,
        };
      }
      const { target } = args;
      await deps.jobs.putSandbox(
        {
          supplierId: supplier.id,
          baseUrl: target.baseUrl,
          username: target.username,
          passwordEnc: deps.keys.encrypt(target.password),
          appSecretEnc: deps.keys.encrypt(target.appSecret),
          signMode: target.signMode,
          bodyFormat: target.bodyFormat,
          updatedAt: now,
          updatedBy: args.actor,
        },
        on,
      );
      const id = newId("crun", 9);
      await deps.jobs.enqueue({ id, supplierId: supplier.id, actor: args.actor, requestedAt: now }, on);
      // In a caller's transaction the job exists only once that commits: the caller wakes the queue then.
      if (!on) setImmediate(pump);
      const job = await deps.jobs.job(id, on);
      if (!job) throw new Error(`queued run ${id} not found`);
      return { ok: true, run: await view(job, on) };
    },

    /** Looks for queued runs now: after a request made in a caller's transaction has committed. */
    wake(): void {
      setImmediate(pump);
    },

    /** A run asked for through the queue, by its id; null when there is none. */
    async job(id: string): Promise<RunJobView | null> {
      const job = await deps.jobs.job(id);
      return job ? view(job) : null;
    },

    async jobsOf(code: string, limit = 20): Promise<RunJobView[]> {
      const supplier = await deps.accounts.supplierByCode(code);
      return supplier ? Promise.all((await deps.jobs.jobsOf(supplier.id, limit)).map((job) => view(job))) : [];
    },

    /** The supplier's registered sandbox, its secrets masked; null when none is registered. */
    async sandbox(code: string): Promise<SandboxView | null> {
      const supplier = await deps.accounts.supplierByCode(code);
      const row = supplier ? await deps.jobs.sandbox(supplier.id) : undefined;
      if (!row) return null;
      return {
        baseUrl: row.baseUrl,
        username: row.username,
        password: MASK,
        appSecret: MASK,
        signMode: row.signMode,
        encoding: row.bodyFormat === "json" ? "json" : "form",
        updatedAt: new Date(row.updatedAt).toISOString(),
        updatedBy: row.updatedBy,
      };
    },

    /** The registered sandbox with its secrets, for a run asked for again without them. */
    async sandboxTarget(code: string): Promise<SandboxTarget | null> {
      const supplier = await deps.accounts.supplierByCode(code);
      const row = supplier ? await deps.jobs.sandbox(supplier.id) : undefined;
      return row ? targetOf(row) : null;
    },

    start(): void {
      if (timer) return;
      stopping = false;
      pump();
      timer = setInterval(pump, POLL_MS);
      timer.unref();
    },

    /** No new runs; resolves when this instance's running ones have ended. */
    async stop(): Promise<void> {
      stopping = true;
      if (timer) clearInterval(timer);
      timer = null;
      await Promise.allSettled([...active.values(), pumping]);
    },

    /**
     * After a stop whose grace ran out: this instance's runs still running are marked interrupted
     * now (the process is about to end), so they can be asked for again at once.
     */
    abandon(): Promise<number> {
      return deps.jobs.interruptHolder(holder, deps.clock(), "the gateway stopped before the run ended");
    },

    /** Runs this instance is executing now. */
    get running(): number {
      return active.size;
    },
  };
}
