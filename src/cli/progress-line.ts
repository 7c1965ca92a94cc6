import { type PullProgress, type PullProgressEvent, createProgressMeter } from "../sync/pull-progress.js";

/** Where the line goes: a terminal gets it, anything else (a pipe, a file) gets nothing. */
export type ProgressOut = { readonly isTTY?: boolean; write(text: string): unknown };

/** Redraws at most this often: a person reads it, and a pull of fast pages would flood the terminal. */
const REDRAW_INTERVAL_MS = 200;
/** Return to the line's start and clear it (ANSI EL), so a shorter line leaves no tail. */
const REWRITE = "\r\x1b[K";

const count = (n: number) => n.toLocaleString("en");

export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3_600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3_600)}h ${String(Math.floor((s % 3_600) / 60)).padStart(2, "0")}m`;
}

/** `apply type 6: 12,300 / 100,000 messages · 198 msgs/s · ETA 7m 35s`. */
function formatProgress(p: PullProgress): string {
  const rate = p.perSecond === null ? "— msgs/s" : `${count(Math.round(p.perSecond))} msgs/s`;
  const eta = p.etaSeconds === null ? "ETA —" : `ETA ${formatDuration(p.etaSeconds)}`;
  return `${p.phase} type ${p.type}: ${count(p.done)} / ${count(p.seen)} messages · ${rate} · ${eta}`;
}

/**
 * A drain's progress as one line redrawn in place on a terminal. `update` takes the puller's
 * events; `end` draws the last state and moves to a new line. Not a terminal: both do nothing.
 */
export function createProgressLine(out: ProgressOut, clock: () => number = Date.now) {
  if (!out.isTTY) return { update: (_event: PullProgressEvent) => undefined, end: () => undefined };
  const meter = createProgressMeter(clock);
  let last: PullProgress | null = null;
  let drawnAt = Number.NEGATIVE_INFINITY;
  const draw = (p: PullProgress) => {
    out.write(REWRITE + formatProgress(p));
    drawnAt = clock();
  };
  return {
    update(event: PullProgressEvent): void {
      last = meter.observe(event);
      if (clock() - drawnAt >= REDRAW_INTERVAL_MS) draw(last);
    },
    end(): void {
      if (last) {
        draw(last);
        out.write("\n");
      }
    },
  };
}
