/** Tuning of the puller; every number has a unit and a reason. */
export type PullerSettings = {
  /** A message that failed this many times is quarantined with its last error. */
  maxAttempts: number;
  /** Backoff after a failed attempt: base × 2^(attempt-1), capped, with ±20 % jitter. */
  retryBaseMs: number;
  retryCapMs: number;
  /** Pages of one type read per run before moving on, so a busy pool cannot starve other types. */
  maxPagesPerType: number;
  /**
   * Groups of ≤ 100 skus of one type applied at once: one group's calls overlap another's commit
   * and batch calls. The connection's maxConcurrent and QPS still bound the calls themselves.
   */
  applyGroupsInFlight: number;
  /** A run holds the supplier's lease this long and renews it while it works. */
  leaseTtlMs: number;
  bannedTerms: readonly string[];
};

export const DEFAULT_PULLER_SETTINGS: Omit<PullerSettings, "bannedTerms"> = {
  maxAttempts: 5,
  retryBaseMs: 30_000,
  retryCapMs: 30 * 60_000,
  maxPagesPerType: 2_000, // 200,000 messages (§3: 100 a page)
  applyGroupsInFlight: 3,
  leaseTtlMs: 60_000,
};

/** §3: the batch size of every sku batch call and of delMessagePool. */
export const SKUS_PER_CALL = 100;
/** §6 processing order: products first, so price and shelf messages find them. */
export const TYPE_ORDER = [6, 16, 2, 4] as const;

export function retryDelayMs(settings: Pick<PullerSettings, "retryBaseMs" | "retryCapMs">, attempt: number, random: () => number): number {
  const raw = Math.min(settings.retryCapMs, settings.retryBaseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(raw * (0.8 + 0.4 * random()));
}
