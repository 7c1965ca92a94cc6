import { NONCE_MEMORY_SECONDS } from "./contract/index.js";
import type { Container } from "./container.js";

/** Housekeeping on a timer: forget nonces once they are outside the replay window (§2.2). */
const NONCE_PRUNE_INTERVAL_MS = 60_000;

export function startMaintenance(container: Container, options: { intervalMs?: number } = {}): { stop(): void } {
  const log = container.logger.child({ component: "maintenance" });
  const timer = setInterval(() => {
    // A timer callback that throws ends the process; a busy database (SQLITE_BUSY while another
    // process writes) is no reason for that. The next tick tries again.
    try {
      const removed = container.repos.nonces.pruneBefore(container.clock() - NONCE_MEMORY_SECONDS * 1000);
      if (removed > 0) log.debug({ event: "nonces.pruned", removed }, "nonces pruned");
    } catch (err) {
      log.error({ event: "maintenance.job.failed", job: "nonce-prune", err }, "maintenance job failed; retried next tick");
    }
  }, options.intervalMs ?? NONCE_PRUNE_INTERVAL_MS);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
