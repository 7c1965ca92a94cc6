import { NONCE_MEMORY_SECONDS } from "./contract/index.js";
import type { Container } from "./container.js";
import { TICK_MEMORY_MS } from "./store/repos/schedule-repo.js";

/**
 * Housekeeping on a timer: forget nonces once they are outside the replay window (§2.2), and
 * scheduler ticks once they are older than any tick an instance could still claim.
 */
const MAINTENANCE_INTERVAL_MS = 60_000;

/** A prune: removes one chunk of rows older than `cutoff` and says how many. */
type Sweep = { job: string; event: string; cutoff: () => number; chunk: (cutoff: number) => number | Promise<number> };

export function startMaintenance(container: Container, options: { intervalMs?: number } = {}): { stop(): void } {
  const log = container.logger.child({ component: "maintenance" });
  let stopped = false;
  const sweeps: Sweep[] = [
    {
      job: "nonce-prune",
      event: "nonces.pruned",
      cutoff: () => container.clock() - NONCE_MEMORY_SECONDS * 1000,
      chunk: (c) => container.repos.nonces.pruneChunkBefore(c),
    },
    // Ticks are cron instants on the wall clock.
    { job: "tick-prune", event: "ticks.pruned", cutoff: () => Date.now() - TICK_MEMORY_MS, chunk: (c) => container.repos.schedule.pruneChunkBefore(c) },
  ];
  const running = new Set<string>();
  // A minute of nonces at full load is tens of thousands of rows: removed a chunk per turn of the
  // event loop, so signed calls in flight are answered between chunks instead of after all of them.
  const sweep = (s: Sweep) => {
    if (running.has(s.job)) return;
    running.add(s.job);
    const cutoff = s.cutoff();
    let removed = 0;
    const step = async () => {
      if (stopped) return;
      // A callback that throws ends the process; a busy database (SQLITE_BUSY while another
      // process writes) is no reason for that. The next tick tries again.
      let n = 0;
      try {
        n = await s.chunk(cutoff);
      } catch (err) {
        running.delete(s.job);
        log.error({ event: "maintenance.job.failed", job: s.job, err }, "maintenance job failed; retried next tick");
        return;
      }
      removed += n;
      if (n > 0) return void setImmediate(() => void step());
      running.delete(s.job);
      if (removed > 0) log.debug({ event: s.event, removed }, `${s.job}: rows removed`);
    };
    void step();
  };
  const timer = setInterval(() => sweeps.forEach(sweep), options.intervalMs ?? MAINTENANCE_INTERVAL_MS);
  timer.unref();
  return {
    stop: () => {
      stopped = true;
      clearInterval(timer);
    },
  };
}
