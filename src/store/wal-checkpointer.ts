import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import type { SqliteStore } from "./database.js";

/** How often the worker folds the WAL back into the database file. */
const CHECKPOINT_INTERVAL_MS = 500;
/** SQLite's own default, restored if the worker stops. */
const AUTOCHECKPOINT_PAGES = 1_000;

export type CheckpointResult = { busy: number; walFrames: number; checkpointedFrames: number };

export type WalCheckpointer = {
  /** The last checkpoint the worker ran, or null before the first. */
  last(): CheckpointResult | null;
  /** Asks the worker for a checkpoint now and resolves with its result. */
  checkpointNow(): Promise<CheckpointResult>;
  stop(): Promise<void>;
};

// Plain JavaScript: the worker runs without the TypeScript loader.
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
const db = new Database(workerData.path);
db.pragma("busy_timeout = 5000");
db.pragma("synchronous = NORMAL");
const checkpoint = db.prepare("PRAGMA wal_checkpoint(PASSIVE)");
const run = () => {
  const row = checkpoint.get();
  parentPort.postMessage({ busy: row.busy, walFrames: row.log, checkpointedFrames: row.checkpointed });
};
const timer = setInterval(run, workerData.intervalMs);
parentPort.on("message", (m) => {
  if (m === "checkpoint") run();
  if (m === "stop") { clearInterval(timer); db.close(); parentPort.close(); }
});
`;

/**
 * A checkpoint copies the WAL into the database file and fsyncs it: milliseconds that, left to
 * SQLite's auto-checkpoint, land inside whichever commit crosses 1,000 pages and stall the event
 * loop for every request waiting behind it. Here a worker thread with its own connection runs
 * passive checkpoints on a timer, and this process's connection never checkpoints. Should the
 * worker die, auto-checkpoint comes back so the WAL cannot grow without end.
 */
export function startWalCheckpointer(store: SqliteStore, options: { intervalMs?: number; onError?: (e: Error) => void } = {}): WalCheckpointer {
  const intervalMs = options.intervalMs ?? CHECKPOINT_INTERVAL_MS;
  const driver = createRequire(import.meta.url).resolve("better-sqlite3");
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { path: store.path, driver, intervalMs } });
  let last: CheckpointResult | null = null;
  let stopping = false;
  store.connection.pragma("wal_autocheckpoint = 0");
  let waiting: Array<(r: CheckpointResult) => void> = [];
  worker.on("message", (m: CheckpointResult) => {
    last = m;
    const settle = waiting;
    waiting = [];
    for (const w of settle) w(m);
  });
  worker.on("error", (e) => options.onError?.(e));
  const exited = new Promise<void>((resolve) =>
    worker.once("exit", () => {
      if (store.connection.open) store.connection.pragma(`wal_autocheckpoint = ${AUTOCHECKPOINT_PAGES}`);
      resolve();
    }),
  );
  worker.unref();
  return {
    last: () => last,
    checkpointNow: () =>
      new Promise<CheckpointResult>((resolve) => {
        waiting.push(resolve);
        worker.postMessage("checkpoint");
      }),
    async stop() {
      if (!stopping) {
        stopping = true;
        worker.postMessage("stop");
      }
      await exited;
    },
  };
}
