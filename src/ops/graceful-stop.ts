import type { Server } from "node:http";
import type { Container } from "../container.js";

/** Time given to in-flight requests, drains and pushes before their leases are handed back. */
export const STOP_GRACE_MS = 7_000;
/** The process is gone by then whatever happens (orchestrators send SIGKILL at 10 s). */
export const STOP_DEADLINE_MS = 9_500;
/** How often connections that fell idle during the stop are closed. */
const IDLE_SWEEP_MS = 100;

export type StopParts = {
  server: Server;
  container: Container;
  jobs: { stop(): Promise<void>; pusherOwner: string } | null;
  maintenance: { stop(): void };
  /** The WAL checkpoint worker: stopped before the database closes. */
  checkpointer?: { stop(): Promise<void> };
};

const within = (ms: number, work: Promise<unknown>): Promise<boolean> =>
  new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    void work.then(() => {
      clearTimeout(timer);
      resolve(true);
    });
  });

/**
 * SIGTERM: stop taking work (readiness goes false, the listener closes, schedules stop), let
 * in-flight requests, the current page or chunk of a drain and order pushes finish within the grace,
 * hand back any lease still held, close supplier clients and hand back their call slots, then close the database.
 */
export async function stopGracefully(
  parts: StopParts,
  graceMs = STOP_GRACE_MS,
): Promise<{ drained: boolean; released: { sync: number; orders: number; callSlots: number } }> {
  const { server, container } = parts;
  const log = container.logger;
  container.runtime.stopping = true;
  const httpDone = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  // server.close() closes the connections idle at that moment only: a keep-alive connection whose
  // request was still running (a drain answering once it stops) would otherwise hold the stop
  // until the client's own idle timeout, past the grace.
  const idleSweep = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_MS);
  parts.maintenance.stop();
  const work = Promise.allSettled([parts.jobs?.stop(), container.sync.runner.stop(), container.conformanceRuns.stop(), httpDone]);
  if (container.runtime.scheduler !== "disabled") container.runtime.scheduler = "stopped";
  const drained = await within(graceMs, work);
  clearInterval(idleSweep);
  if (!drained) log.warn({ event: "server.stop.grace_exceeded", graceMs }, "work still running at the end of the grace; handing back its leases");
  server.closeAllConnections();
  const leases = await container.repos.ops.releaseLeasesOf(container.sync.runner.instance, parts.jobs?.pusherOwner ?? null);
  await container.production.stop();
  const interrupted = await container.conformanceRuns.abandon();
  if (interrupted > 0) log.warn({ event: "conformance.job.abandoned", count: interrupted }, "certification runs still running at the stop marked interrupted");
  await within(1_000, Promise.all([container.supplierConnections.closeAll(), parts.checkpointer?.stop()]));
  // Closing the clients aborted any call still on the wire: the slots it held go back now, so other
  // instances have the supplier's whole maxConcurrent at once rather than after the slots' leases.
  const released = { ...leases, callSlots: await container.repos.callBudget.releaseAllSlots() };
  await container.close();
  return { drained, released };
}
