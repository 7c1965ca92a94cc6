/**
 * A fixed-window cap on audit rows that unauthenticated callers can cause (failed logins): past
 * the cap, rows are not written but counted, and the next row admitted carries that count. So a
 * password spray costs a bounded number of rows a window, and the log still says it happened.
 */
export type AuditRateLimit = ReturnType<typeof createAuditRateLimit>;

export function createAuditRateLimit(rowsPerWindow: number, windowMs: number, clock: () => number) {
  let windowStart = Number.NEGATIVE_INFINITY;
  let written = 0;
  let suppressed = 0;
  return {
    /** null: do not write this row (it is counted); otherwise how many were dropped before it. */
    admit(): { suppressedBefore: number } | null {
      const now = clock();
      if (now - windowStart >= windowMs) {
        windowStart = now;
        written = 0;
      }
      if (written >= rowsPerWindow) {
        suppressed += 1;
        return null;
      }
      written += 1;
      const suppressedBefore = suppressed;
      suppressed = 0;
      return { suppressedBefore };
    },
  };
}
