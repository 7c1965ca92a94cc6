import { type ScheduledTask, type TaskContext, schedule } from "node-cron";
import type { Logger } from "../lib/logger.js";

/**
 * Named cron jobs that can be replaced while running (a supplier's schedule changes from the CLI
 * in another process). A job never overlaps itself; leases keep other processes out (§ issue 4).
 */
export type Job = { name: string; cron: string; run: (tickStart: number) => Promise<unknown> };

/**
 * Asked at each tick before a job runs: true for exactly one of the instances sharing the
 * database. `tickStart` is the tick's scheduled instant, the same in every instance whatever
 * moment its timer actually fired.
 */
export type TickClaim = (job: string, tickStart: number) => boolean | Promise<boolean>;

export type SchedulerOptions = { timezone?: string; claimTick?: TickClaim };

export function createScheduler(logger: Logger, options: SchedulerOptions = {}) {
  const timezone = options.timezone ?? "Asia/Shanghai";
  const claimTick = options.claimTick ?? (() => true);
  const tasks = new Map<string, { cron: string; task: ScheduledTask }>();
  const running = new Set<string>();
  // node-cron's own notices (an overlap skipped, a missed tick) go to our log, not the console.
  const cronLogger = {
    info: (message: string) => logger.debug({ event: "scheduler.cron" }, message),
    warn: (message: string) => logger.debug({ event: "scheduler.cron" }, message),
    error: (message: string | Error, err?: Error) => logger.error({ event: "scheduler.cron", err: err ?? message }, "cron error"),
    debug: (message: string | Error) => logger.debug({ event: "scheduler.cron" }, String(message)),
  };

  const guarded = (job: Job) => async (tick: TaskContext) => {
    // A tick this instance cannot run now (its last run still going) is left for another to claim.
    if (running.has(job.name)) return;
    // Marked running before the claim is asked, so a tick firing while it is answered stands down too.
    running.add(job.name);
    let claimed: boolean;
    try {
      claimed = await claimTick(job.name, tick.date.getTime());
    } catch (err) {
      running.delete(job.name);
      // Unsure whether another instance has it, this one stands down: a tick skipped, never run twice.
      logger.error({ event: "scheduler.tick.claim_failed", job: job.name, tick: tick.date.toISOString(), err }, "tick not claimed; skipped here");
      return;
    }
    if (!claimed) {
      running.delete(job.name);
      logger.debug({ event: "scheduler.tick.elsewhere", job: job.name, tick: tick.date.toISOString() }, "tick claimed by another instance");
      return;
    }
    try {
      await job.run(tick.date.getTime());
    } catch (e) {
      logger.error({ event: "scheduler.job.failed", job: job.name, err: e }, "scheduled job failed");
    } finally {
      running.delete(job.name);
    }
  };

  return {
    /** Makes the set of jobs exactly `jobs`: new ones start, changed ones restart, missing ones stop. */
    sync(jobs: readonly Job[]): void {
      const wanted = new Map(jobs.map((j) => [j.name, j]));
      for (const [name, entry] of tasks) {
        const job = wanted.get(name);
        if (!job || job.cron !== entry.cron) {
          void entry.task.destroy();
          tasks.delete(name);
        }
      }
      for (const job of jobs) {
        if (tasks.has(job.name)) continue;
        // One unreadable cron (edited into the database by hand) must not keep the others from running.
        try {
          const task = schedule(job.cron, guarded(job), { name: job.name, noOverlap: true, timezone, logger: cronLogger });
          tasks.set(job.name, { cron: job.cron, task });
          logger.info({ event: "scheduler.job.scheduled", job: job.name, cron: job.cron }, "job scheduled");
        } catch (err) {
          logger.error({ event: "scheduler.job.invalid", job: job.name, cron: job.cron, err }, "job not scheduled");
        }
      }
    },
    names: () => [...tasks.keys()],
    async stop(): Promise<void> {
      await Promise.all([...tasks.values()].map((t) => t.task.destroy()));
      tasks.clear();
    },
  };
}
