/**
 * Faults in the PostgreSQL bridge's worker thread, on demand: installWorkerFaults() makes every
 * pg-worker.mjs start through faulty-pg-worker.mjs (plain JavaScript: the worker runs without tsx),
 * which watches a file. Writing "exit" or "throw" to it ends the running worker that way, "hang" leaves it spinning; while
 * `<file>.down` exists, every new worker throws as soon as it has started.
 */
import module from "node:module";
import workerThreads, { type WorkerOptions } from "node:worker_threads";

/** Answers a function that puts the original Worker back. */
export function installWorkerFaults(faultFile: string): () => void {
  const Original = workerThreads.Worker;
  class FaultyWorker extends Original {
    constructor(filename: string | URL, options: WorkerOptions = {}) {
      if (String(filename).endsWith("/pg-worker.mjs")) {
        super(new URL("./faulty-pg-worker.mjs", import.meta.url), {
          ...options,
          workerData: { ...(options.workerData as Record<string, unknown>), faultTarget: String(filename), faultFile },
        });
      } else {
        super(filename, options);
      }
    }
  }
  workerThreads.Worker = FaultyWorker;
  module.syncBuiltinESMExports();
  return () => {
    workerThreads.Worker = Original;
    module.syncBuiltinESMExports();
  };
}
