import { GCProfiler } from "node:v8";

/**
 * What the garbage collector did in one window of a process's life, from V8's own per-GC records
 * (v8.GCProfiler): pauses by kind, and how much old space filled (bytes promoted by scavenges plus
 * bytes allocated straight into old space), which is what drives old-space mark-compacts.
 */
export type GcFigures = {
  /** Scavenges. */
  minor: { count: number; pauseMs: number };
  /** Old-space mark-compacts (their final pause). */
  major: { count: number; pauseMs: number };
  /** Steps of incremental marking ahead of a mark-compact, and other V8 GC callbacks. */
  incremental: { count: number; pauseMs: number };
  /** Bytes that entered old space in the window; mark-compacts' frees are not subtracted. */
  oldSpaceFilledBytes: number;
};

type SpaceStats = { spaceName: string; spaceUsedSize: number };
type GcRecord = { gcType: string; cost: number; beforeGC: { heapSpaceStatistics: SpaceStats[] }; afterGC: { heapSpaceStatistics: SpaceStats[] } };

const OLD_SPACES = new Set(["old_space", "large_object_space", "code_space", "code_large_object_space"]);
const oldUsed = (spaces: SpaceStats[]) => spaces.reduce((sum, s) => sum + (OLD_SPACES.has(s.spaceName) ? s.spaceUsedSize : 0), 0);
const MINOR = new Set(["Scavenge", "MinorMarkCompact", "MinorMarkSweep"]);

export function gcWindow(): { stop(): GcFigures } {
  const profiler = new GCProfiler();
  profiler.start();
  return {
    stop(): GcFigures {
      const records = (profiler.stop()?.statistics ?? []) as unknown as GcRecord[];
      const figures: GcFigures = {
        minor: { count: 0, pauseMs: 0 },
        major: { count: 0, pauseMs: 0 },
        incremental: { count: 0, pauseMs: 0 },
        oldSpaceFilledBytes: 0,
      };
      let previousAfter: number | undefined;
      for (const r of records) {
        const before = oldUsed(r.beforeGC.heapSpaceStatistics);
        const after = oldUsed(r.afterGC.heapSpaceStatistics);
        // Between two GCs old space only grows by direct allocation; a scavenge grows it by what it promotes.
        if (previousAfter !== undefined) figures.oldSpaceFilledBytes += Math.max(0, before - previousAfter);
        const minor = MINOR.has(r.gcType);
        if (minor) figures.oldSpaceFilledBytes += Math.max(0, after - before);
        const kind = minor ? figures.minor : r.gcType === "MarkSweepCompact" ? figures.major : figures.incremental;
        kind.count += 1;
        kind.pauseMs += r.cost / 1000;
        previousAfter = after;
      }
      return figures;
    },
  };
}
