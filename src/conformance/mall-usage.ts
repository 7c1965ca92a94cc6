import type { ConformanceRepo, MallUsageRow } from "../store/repos/conformance-repo.js";

export type MallUsageNote = (accountId: number, operation: string, outcome: MallUsageRow["outcome"]) => Promise<void>;

/**
 * Notes a supplier's use of the mall side (M-1…M-7) for the kit's last module: only the first of
 * each (account, operation, outcome), and remembered in-process, so the hot path pays a Set lookup.
 */
export function createMallUsage(repo: ConformanceRepo, clock: () => number): MallUsageNote {
  const seen = new Set<string>();
  return async (accountId, operation, outcome) => {
    const key = `${accountId}|${operation}|${outcome}`;
    if (seen.has(key)) return;
    seen.add(key);
    await repo.noteMallUsage({ accountId, operation, outcome, firstAt: clock() });
  };
}
