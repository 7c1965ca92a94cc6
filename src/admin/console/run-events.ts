import type { Request, Response } from "express";

/** How often a followed run is read again: it may be running in another instance, so the store is the truth. */
const POLL_MS = 500;
/** A comment line this often keeps proxies from closing a quiet stream. */
const HEARTBEAT_MS = 15_000;
/** A stream ends after this long whatever the run does; the page reconnects or is reloaded. */
const MAX_STREAM_MS = 30 * 60_000;

export type FollowedRun = { status: string; progress?: unknown[]; error?: string | null };
const TERMINAL = new Set(["passed", "failed", "interrupted"]);

/**
 * Server-sent events for one certification run: `progress` with its status, modules and error
 * whenever they change, then `done` once it has ended, and the stream closes. `read` answers the run
 * as the admin API shows it to this caller (its scope and roles applied).
 */
export async function streamRunEvents(req: Request, res: Response, read: () => Promise<FollowedRun>): Promise<void> {
  res.status(200).set({ "Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-store", "X-Accel-Buffering": "no" });
  res.flushHeaders();
  let closed = false;
  req.on("close", () => {
    closed = true;
  });
  const started = Date.now();
  let lastSent = "";
  let lastWrite = Date.now();
  while (!closed && Date.now() - started < MAX_STREAM_MS) {
    const run = await read();
    const state = JSON.stringify({ status: run.status, progress: run.progress ?? [], error: run.error ?? null });
    if (state !== lastSent) {
      res.write(`event: progress\ndata: ${state}\n\n`);
      lastSent = state;
      lastWrite = Date.now();
    }
    if (TERMINAL.has(run.status)) {
      res.write(`event: done\ndata: ${JSON.stringify({ status: run.status })}\n\n`);
      break;
    }
    if (Date.now() - lastWrite >= HEARTBEAT_MS) {
      res.write(": still running\n\n");
      lastWrite = Date.now();
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  res.end();
}
