// The bridge's worker, started as it is, plus the faults pg-worker-faults.mjs describes.
import { existsSync, readFileSync, rmSync } from "node:fs";
import { workerData } from "node:worker_threads";

const { faultTarget, faultFile } = workerData;
await import(faultTarget);

const fail = (mode) => {
  if (mode === "exit") process.exit(1);
  // Stuck: no exit handler runs and the heartbeat stops, as for a worker out of memory.
  if (mode === "hang") for (;;);
  throw new Error(`injected fault: ${mode}`);
};
if (existsSync(`${faultFile}.down`)) setTimeout(() => fail("down"), 0);
const FAULT_POLL_MS = 10;
setInterval(() => {
  let mode;
  try {
    mode = readFileSync(faultFile, "utf8");
    rmSync(faultFile);
  } catch {
    return;
  }
  fail(mode);
}, FAULT_POLL_MS).unref();
