import { NONCE_MEMORY_SECONDS } from "./contract/index.js";
import type { Container } from "./container.js";

/** Housekeeping on a timer: forget nonces once they are outside the replay window (§2.2). */
const NONCE_PRUNE_INTERVAL_MS = 60_000;

export function startMaintenance(container: Container, options: { intervalMs?: number } = {}): { stop(): void } {
  const log = container.logger.child({ component: "maintenance" });
  let stopped = false;
  let running = false;
  // A minute of nonces at full load is tens of thousands of rows: removed a chunk per turn of the
  // event loop, so signed calls in flight are answered between chunks instead of after all of them.
  const pruneNonces = () => {
    if (running) return;
    running = true;
    const cutoff = container.clock() - NONCE_MEMORY_SECONDS * 1000;
    let removed = 0;
    const step = () => {
      if (stopped) return;
      // A callback that throws ends the process; a busy database (SQLITE_BUSY while another
      // process writes) is no reason for that. The next tick tries again.
      let n = 0;
      try {
        n = container.repos.nonces.pruneChunkBefore(cutoff);
      } catch (err) {
        running = false;
        log.error({ event: "maintenance.job.failed", job: "nonce-prune", err }, "maintenance job failed; retried next tick");
        return;
      }
      removed += n;
      if (n > 0) return void setImmediate(step);
      running = false;
      if (removed > 0) log.debug({ event: "nonces.pruned", removed }, "nonces pruned");
    };
    step();
  };
  const timer = setInterval(pruneNonces, options.intervalMs ?? NONCE_PRUNE_INTERVAL_MS);
  timer.unref();
  return {
    stop: () => {
      stopped = true;
      clearInterval(timer);
    },
  };
}
