import { NONCE_MEMORY_SECONDS } from "./contract/index.js";
import type { Container } from "./container.js";

/** Housekeeping on a timer: forget nonces once they are outside the replay window (§2.2). */
const NONCE_PRUNE_INTERVAL_MS = 60_000;

export function startMaintenance(container: Container): { stop(): void } {
  const timer = setInterval(() => {
    const removed = container.repos.nonces.pruneBefore(container.clock() - NONCE_MEMORY_SECONDS * 1000);
    if (removed > 0) container.logger.debug({ event: "nonces.pruned", removed }, "nonces pruned");
  }, NONCE_PRUNE_INTERVAL_MS);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
