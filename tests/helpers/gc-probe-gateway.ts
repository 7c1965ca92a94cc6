import { gcWindow } from "../../scripts/gc-window.js";
import { createLogger } from "../../src/lib/logger.js";
import { nextCreditCode, startTestGateway } from "./harness.js";

/**
 * A gateway in its own process for GC measurements (the test's own allocations stay out of its
 * heap). Over IPC: sends { url, credentials } once up; "start" opens a GC window, "stop" answers
 * its figures, "close" stops. LOG_LEVEL picks the level (info: an access line per request).
 */
const realClock = { now: Date.now, advance() {}, set() {} };
const level = process.env.LOG_LEVEL ?? "info";
// The test made the database: vitest's context, which testDatabaseUrl needs, does not reach this process.
const env: Record<string, string> = process.env.GC_PROBE_DATABASE_URL ? { DATABASE_URL: process.env.GC_PROBE_DATABASE_URL } : {};
const gw = await startTestGateway(env, realClock, createLogger({ level, destination: { write: () => true } as unknown as NodeJS.WritableStream }));
const { credentials } = await gw.container.supplierAccounts.create({
  code: "GCPROBE",
  name: "GC 探针",
  creditCode: await nextCreditCode(),
  domains: ["gc.example.cn"],
});
let window: ReturnType<typeof gcWindow> | undefined;
process.on("message", (message: string) => {
  if (message === "start") {
    window = gcWindow();
    process.send?.({ started: true });
  } else if (message === "stop") {
    process.send?.({ figures: window?.stop() });
  } else if (message === "close") {
    void gw.close().then(() => process.exit(0));
  }
});
process.send?.({ url: gw.url, credentials });
