/**
 * What a drain tells whoever watches it, after each page it stores and each chunk it settles.
 * `done` and `seen` are the run's totals so far: messages settled, and the backlog known — due in
 * the inbox when the run started plus every message received since.
 */
export type PullProgressEvent = {
  phase: "pull" | "apply";
  type: number;
  /** Messages this page stored or this chunk settled. */
  messages: number;
  done: number;
  seen: number;
};

/** One step as the drain reports it: a page stored, or a chunk settled. */
export type PullStep = Pick<PullProgressEvent, "phase" | "type" | "messages">;

/** The run's totals over a drain's steps, starting from the messages already due in the inbox. */
export function withTotals(dueAtStart: number, emit: (event: PullProgressEvent) => void): (step: PullStep) => void {
  let seen = dueAtStart;
  let done = 0;
  return (step) => {
    if (step.phase === "pull") seen += step.messages;
    else done += step.messages;
    emit({ ...step, done, seen });
  };
}

/** A drain's progress as a person reads it; the rate and ETA are null until something was settled. */
export type PullProgress = {
  phase: PullProgressEvent["phase"];
  type: number;
  done: number;
  seen: number;
  /** Messages settled a second, over the last `windowMs`. */
  perSecond: number | null;
  /** Seconds until the backlog seen so far is settled at that rate. */
  etaSeconds: number | null;
};

/** The rate follows the last half minute, so an ETA reacts to a slower supplier without jumping at every chunk. */
const RATE_WINDOW_MS = 30_000;

/** Turns progress events into a rate and an ETA, reading time from `clock` (ms). */
export function createProgressMeter(clock: () => number = Date.now, windowMs = RATE_WINDOW_MS) {
  const samples: Array<{ at: number; done: number }> = [];
  return {
    observe(event: PullProgressEvent): PullProgress {
      const now = clock();
      const done = event.done;
      const seen = Math.max(event.seen, done);
      // The window opens at the first settled message: time spent pulling pages is not applying time.
      if (samples.length > 0 || done > 0) samples.push({ at: now, done });
      while (samples.length > 2 && (samples[1]?.at ?? now) <= now - windowMs) samples.shift();
      const first = samples[0];
      const elapsedMs = first ? now - first.at : 0;
      const perSecond = first && elapsedMs > 0 ? ((done - first.done) * 1000) / elapsedMs : null;
      const etaSeconds = perSecond !== null && perSecond > 0 ? (seen - done) / perSecond : null;
      return { phase: event.phase, type: event.type, done, seen, perSecond, etaSeconds };
    },
  };
}
