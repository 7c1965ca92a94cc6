import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { gcWindow } from "./gc-window.js";

/**
 * Loaded into a benchmarked server with --import: on SIGUSR2 it writes what the garbage collector
 * did since the last signal to BENCH_GC_DIR/gc-<pid>.json, so the benchmark reads GC pauses and
 * old-space fill per phase from the server's own V8 records.
 */
const dir = process.env.BENCH_GC_DIR;
if (dir) {
  let window = gcWindow();
  let serial = 0;
  process.on("SIGUSR2", () => {
    const figures = window.stop();
    window = gcWindow();
    serial += 1;
    writeFileSync(join(dir, `gc-${process.pid}.json`), JSON.stringify({ serial, ...figures }));
  });
}
