import { hostname } from "node:os";
import type { SupplierConnections } from "../connections/supplier-connections.js";
import { newId } from "../lib/ids.js";
import type { Logger } from "../lib/logger.js";
import type { Store } from "../store/database.js";
import type { SqlRunner } from "../store/sql/sql-store.js";
import type { AccountRepo, SupplierRow } from "../store/repos/account-repo.js";
import type { ProductRepo } from "../store/repos/product-repo.js";
import type { ReferenceRepo } from "../store/repos/reference-repo.js";
import type { CallLogRepo } from "../store/repos/call-log-repo.js";
import type { InboxRepo } from "../store/repos/inbox-repo.js";
import type { MessageLogRepo } from "../store/repos/message-log-repo.js";
import type { SyncLeaseRepo } from "../store/repos/sync-lease-repo.js";
import type { SyncRunRepo, SyncRunRow } from "../store/repos/sync-run-repo.js";
import type { SupplierClient } from "../supplier/supplier-client.js";
import { LeaseLostError, SupplierConfigurationError, drainSupplier } from "./supplier-drain.js";
import type { PullerSettings } from "./puller-settings.js";
import { type PullProgressEvent, withTotals } from "./pull-progress.js";
import { type RunCounts, type RunError, RunJournal } from "./run-journal.js";
import { refreshStock } from "./stock-refresh.js";
import { createValidationContext } from "./validation-context.js";

/** The lease is renewed this many times per lifetime, so one late timer tick does not lose it. */
const LEASE_RENEWALS_PER_TTL = 3;
const LEASE_RENEW_MIN_INTERVAL_MS = 100;

export type RunTrigger = SyncRunRow["trigger"];
export type RunSummary = {
  runId: string;
  supplier: string;
  trigger: RunTrigger;
  status: SyncRunRow["status"];
  startedAt: string;
  endedAt: string;
  counts: RunCounts;
  callsMade: number;
  callsByOperation: Record<string, number>;
  errors: RunError[];
  pendingInInbox: number;
  /** Messages this run left waiting after a transient failure, and when the first comes due (ISO). */
  deferred: { count: number; nextAttemptAt: string | null };
};
export type RunAttempt = { ran: true; summary: RunSummary } | { ran: false; reason: "busy"; holder: string | null };

/** A run's hold on its supplier's lease: between steps (renewed when due), and inside each commit. */
type RunLease = { keep: () => Promise<boolean>; fence: (tx: SqlRunner) => Promise<boolean> };

export type SyncRunnerDeps = {
  store: Store;
  accounts: AccountRepo;
  products: ProductRepo;
  leases: SyncLeaseRepo;
  syncRuns: SyncRunRepo;
  inbox: InboxRepo;
  messageLogs: MessageLogRepo;
  callLogs: CallLogRepo;
  reference: ReferenceRepo;
  connections: SupplierConnections;
  settings: PullerSettings;
  logger: Logger;
  clock: () => number;
  random?: () => number;
  /** Told of every finished run (metrics); must not throw. */
  onRunFinished?: (summary: RunSummary) => void;
};

export type SyncRunner = ReturnType<typeof createSyncRunner>;

/**
 * Runs one supplier's drain (or stock refresh) under its lease: only one runner per supplier at a
 * time, across processes; a crashed runner's lease expires. Every run leaves a sync_runs row.
 */
export function createSyncRunner(deps: SyncRunnerDeps) {
  // A holder per run, so two runs of one process (a pull and a stock refresh) exclude each other too.
  const instance = `${hostname()}:${process.pid}`;
  const random = deps.random ?? Math.random;
  /** Set by stop(): no new runs, and running ones end at their next page or chunk. */
  let stopping = false;
  const active = new Set<Promise<RunAttempt>>();
  /** The client views of running pulls: told to withhold their single-sku reads on stop. */
  const pulling = new Set<SupplierClient>();
  const tracked = (run: Promise<RunAttempt>): Promise<RunAttempt> => {
    active.add(run);
    void run.finally(() => active.delete(run)).catch(() => undefined);
    return run;
  };

  async function underLease(supplier: SupplierRow, trigger: RunTrigger, work: (journal: RunJournal, lease: RunLease) => Promise<void>): Promise<RunAttempt> {
    if (stopping) return { ran: false, reason: "busy", holder: `${instance} (stopping)` };
    const runId = newId("run");
    const holder = `${instance}:${runId}`;
    const startedAt = deps.clock();
    const { leaseTtlMs } = deps.settings;
    if (!(await deps.leases.acquireLease(supplier.id, holder, runId, startedAt, leaseTtlMs))) {
      return { ran: false, reason: "busy", holder: (await deps.leases.leaseOf(supplier.id))?.holder ?? null };
    }
    const log = deps.logger.child({ runId, supplier: supplier.code, trigger });
    let renewedAt = startedAt;
    let lost = false;
    const renew = async (): Promise<boolean> => {
      const now = deps.clock();
      if (await deps.leases.renewLease(supplier.id, holder, now, leaseTtlMs)) renewedAt = now;
      else lost = true;
      return !lost;
    };
    const lease: RunLease = {
      // Stopping: no next page or chunk, but a chunk already committing (inside its transaction) lands.
      keep: async () => !lost && !stopping && (deps.clock() - renewedAt < leaseTtlMs / 3 || (await renew())),
      // Inside a commit the lease is read from the database whatever the clock says: with several
      // instances, the row still naming this holder, read in the commit's own transaction, is the
      // fence that keeps a runner whose lease was taken over from landing a chunk.
      fence: async (tx) => {
        if (lost) return false;
        if (!(await deps.leases.holds(tx, supplier.id, holder))) lost = true;
        return !lost;
      },
    };
    try {
      await deps.syncRuns.startRun({ id: runId, supplierId: supplier.id, trigger, startedAt });
    } catch (e) {
      // No run row, no run: the lease goes back at once instead of waiting out its lifetime.
      await deps.leases
        .releaseLease(supplier.id, holder)
        .catch((err: unknown) => log.warn({ event: "sync.lease.release_failed", err }, "lease not given back"));
      throw e;
    }
    // A single round (100 skus of a slow supplier) or a stock refresh can outlast the lease: it is
    // renewed on a timer while the work is in flight, not only between steps.
    let renewing: Promise<unknown> = Promise.resolve();
    const renewal = setInterval(
      () => {
        if (lost) return;
        renewing = renew().then(
          (kept) => {
            if (!kept) log.warn({ event: "sync.lease.lost", holder }, "lease taken over; this run writes nothing more");
          },
          (err: unknown) => log.warn({ event: "sync.lease.renew_failed", err }, "lease not renewed; retried"),
        );
      },
      Math.max(LEASE_RENEW_MIN_INTERVAL_MS, Math.floor(leaseTtlMs / LEASE_RENEWALS_PER_TTL)),
    );
    renewal.unref();
    const journal = new RunJournal(runId, deps.clock);
    log.info({ event: "sync.run.started" }, "sync run started");
    let status: SyncRunRow["status"] = "succeeded";
    let deferred: RunSummary["deferred"] = { count: 0, nextAttemptAt: null };
    try {
      await work(journal, lease);
      const waiting = await deps.inbox.deferredBy(supplier.id, runId);
      if (waiting.count > 0) {
        // Not done: they come back on their own, but this run did not bring them in.
        deferred = { count: waiting.count, nextAttemptAt: waiting.nextAttemptAt === null ? null : new Date(waiting.nextAttemptAt).toISOString() };
        journal.error({
          kind: "deferred",
          message: `${waiting.count} messages wait after a transient failure; the first comes due at ${deferred.nextAttemptAt}`,
        });
      }
      if (journal.errors.length > 0) status = "partial";
    } catch (e) {
      if (stopping && e instanceof LeaseLostError) {
        status = "partial";
        journal.error({ kind: "stopped", message: "the gateway is stopping; the rest waits in the inbox and the pool for the next run" });
        log.info({ event: "sync.run.stopped" }, "sync run stopped for shutdown");
      } else if (e instanceof SupplierConfigurationError) {
        status = "failed";
        // Retrying cannot help until someone fixes the connection (or the supplier its side).
        journal.error({ kind: "configuration", message: e.message });
        log.error({ event: "sync.run.stopped", reason: e.message }, "sync run stopped: the supplier refuses our configuration");
      } else {
        status = "failed";
        const message = e instanceof LeaseLostError ? e.message : e instanceof Error ? `${e.name}: ${e.message}` : String(e);
        journal.error({ kind: e instanceof LeaseLostError ? "lease" : "internal", message });
        log.error({ event: "sync.run.failed", err: e }, "sync run failed");
      }
    } finally {
      const endedAt = deps.clock();
      clearInterval(renewal);
      // A renewal on its way would otherwise land after the release and warn of a lost lease.
      await renewing;
      // Each of these is done whatever became of the one before (the database may be away): the run
      // row is closed and the lease given back when they can be; the first failure is the caller's.
      const failures: unknown[] = [];
      const step = (work: () => Promise<void>, event: string) =>
        work().catch((err: unknown) => {
          failures.push(err);
          log.warn({ event, err }, "sync run not closed cleanly");
        });
      await step(() => deps.callLogs.logCalls(journal.takeUnsavedCalls()), "sync.run.calls_not_saved");
      await step(
        () =>
          deps.syncRuns.finishRun(runId, {
            status,
            endedAt,
            countsJson: JSON.stringify(journal.counts),
            callsMade: journal.callsMade,
            errorsJson: JSON.stringify(journal.errors),
          }),
        "sync.run.not_finished",
      );
      await step(() => deps.leases.releaseLease(supplier.id, holder), "sync.lease.release_failed");
      if (failures.length > 0) throw failures[0];
    }
    const summary: RunSummary = {
      runId,
      supplier: supplier.code,
      trigger,
      status,
      startedAt: new Date(startedAt).toISOString(),
      endedAt: new Date(deps.clock()).toISOString(),
      counts: journal.counts,
      callsMade: journal.callsMade,
      callsByOperation: journal.callsByOperation,
      errors: journal.errors,
      pendingInInbox: await deps.inbox.pendingCount(supplier.id),
      deferred,
    };
    log.info({ event: "sync.run.finished", status, counts: summary.counts, callsMade: summary.callsMade }, "sync run finished");
    deps.onRunFinished?.(summary);
    return { ran: true, summary };
  }

  const supplierOf = async (supplierId: number): Promise<SupplierRow> => {
    const s = await deps.accounts.supplierById(supplierId);
    if (!s) throw new Error(`no supplier ${supplierId}`);
    return s;
  };

  return {
    instance,
    /**
     * Graceful stop: no new runs; a running drain ends after its current page or chunk and releases
     * its lease. Resolves when every run of this process has ended.
     */
    async stop(): Promise<void> {
      stopping = true;
      for (const client of pulling) client.stopSkuReads("the gateway is stopping");
      await Promise.allSettled([...active]);
    },
    /** Pull and apply; `onProgress` hears the run's totals after every page stored and chunk settled. */
    async pull(supplierId: number, trigger: RunTrigger, onProgress?: (event: PullProgressEvent) => void): Promise<RunAttempt> {
      const supplier = await supplierOf(supplierId);
      return tracked(
        underLease(supplier, trigger, async (journal, lease) => {
          const client = await deps.connections.clientFor(supplier.id, journal);
          pulling.add(client);
          try {
            await drainSupplier({
              supplierId: supplier.id,
              store: deps.store,
              products: deps.products,
              inbox: deps.inbox,
              messageLogs: deps.messageLogs,
              callLogs: deps.callLogs,
              client,
              journal,
              validation: await createValidationContext(deps.reference, JSON.parse(supplier.domainsJson) as string[], deps.settings.bannedTerms),
              settings: deps.settings,
              clock: deps.clock,
              random,
              logger: deps.logger.child({ runId: journal.runId, supplier: supplier.code }),
              keepLease: lease.keep,
              fenceLease: lease.fence,
              onProgress: onProgress && withTotals(await deps.inbox.dueCount(supplier.id, deps.clock()), onProgress),
            });
          } finally {
            pulling.delete(client);
            await client.close();
          }
        }),
      );
    },
    /** S-8 for every on-shelf sku in the connection's stock areas (§6: on a schedule). */
    async stock(supplierId: number): Promise<RunAttempt> {
      const supplier = await supplierOf(supplierId);
      return tracked(
        underLease(supplier, "stock", async (journal, lease) => {
          const client = await deps.connections.clientFor(supplier.id, journal);
          try {
            const connection = await deps.connections.show(supplier.code);
            await refreshStock({
              store: deps.store,
              supplierId: supplier.id,
              client,
              products: deps.products,
              journal,
              areas: connection.stockAreas,
              clock: deps.clock,
              keepLease: lease.keep,
              fenceLease: lease.fence,
            });
          } finally {
            await client.close();
          }
        }),
      );
    },
  };
}
