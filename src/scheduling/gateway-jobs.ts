import { hostname } from "node:os";
import type { Container } from "../container.js";
import { newId } from "../lib/ids.js";
import { type Job, createScheduler } from "./scheduler.js";

/** How often the job list is rebuilt from the store, so `supplier connect` elsewhere takes effect. */
const RELOAD_INTERVAL_MS = 60_000;
/** Retention once a day at a quiet hour (Beijing time, the scheduler's zone). */
export const RETENTION_CRON = "17 3 * * *";
/** Yesterday's production conformance is scored, and acted on, shortly after midnight (Beijing time). */
export const PRODUCTION_SCORE_CRON = "11 0 * * *";

/**
 * The gateway's schedules: for each connected supplier a message-pool pull and a stock refresh on
 * its own cron; once a day, retention (sync logs, run summaries, price-history compaction); and the order pusher, which claims due orders.
 * Every instance on the database runs this scheduler; each tick of a job runs in the one instance that claims it in the store.
 */
export function startGatewayJobs(
  container: Container,
  extraJobs: () => Job[] = () => [],
  options: { reloadIntervalMs?: number } = {},
): { stop(): Promise<void>; reload(): void; pusherOwner: string; instance: string } {
  const logger = container.logger.child({ component: "scheduler" });
  const instance = `${hostname()}:${process.pid}:${newId("sched", 6)}`;
  // Ticks are the cron's wall-clock instants, so their age is judged by the wall clock too.
  const scheduler = createScheduler(logger, { claimTick: (job, tickStart) => container.repos.schedule.claimTick(job, tickStart, instance, Date.now()) });
  // Runs on a timer: whatever it meets (a busy database, a schedule edited into something cron
  // cannot read) is logged, and the jobs it could set up keep running.
  const reload = async () => {
    try {
      await syncJobs();
    } catch (err) {
      logger.error({ event: "scheduler.reload.failed", err }, "job list not reloaded; retried next interval");
    }
  };
  let stopped = false;
  const syncJobs = async () => {
    const jobs: Job[] = [
      { name: "retention", cron: RETENTION_CRON, run: () => container.retention.run() },
      { name: "production-conformance", cron: PRODUCTION_SCORE_CRON, run: () => container.production.evaluateYesterday() },
    ];
    const connections = await container.supplierConnections.list();
    // A reload that was reading when the scheduler stopped schedules nothing.
    if (stopped) return;
    for (const c of connections) {
      const supplierId = c.supplierId;
      // The production gate is asked at every tick: a mark suspended or issued meanwhile counts at once.
      const gated = (job: string, work: () => Promise<unknown>) => async () => {
        const verdict = await container.conformance.gate.verdict(supplierId);
        if (!verdict.open) {
          logger.info({ supplier: c.supplierCode, job, reason: verdict.reason }, "scheduler.gate.closed");
          return;
        }
        await work();
      };
      jobs.push({ name: `pull:${c.supplierCode}`, cron: c.pullSchedule, run: gated("pull", () => container.sync.runner.pull(supplierId, "schedule")) });
      jobs.push({ name: `stock:${c.supplierCode}`, cron: c.stockSchedule, run: gated("stock", () => container.sync.runner.stock(supplierId)) });
    }
    scheduler.sync([...jobs, ...extraJobs()]);
  };
  void reload();
  const timer = setInterval(() => void reload(), options.reloadIntervalMs ?? RELOAD_INTERVAL_MS);
  timer.unref();
  const pusher = container.orders.scheduler();
  pusher.start();
  return {
    reload: () => void reload(),
    pusherOwner: pusher.owner,
    instance,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await Promise.all([scheduler.stop(), pusher.stop()]);
    },
  };
}
