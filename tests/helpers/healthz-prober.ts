import { spawn } from "node:child_process";

/**
 * The probe loop, run in a node process of its own: what a probe takes is then the gateway's
 * answer and the loopback, not the turns of the test's own event loop (which runs mall calls, an
 * in-process supplier, waits). It writes "." once its first probe is answered, and on any byte on
 * stdin the times as JSON (null for a probe not answered 200) and ends.
 */
const PROBE_LOOP = `
const base = process.argv[1];
const times = [];
let probing = true;
process.stdin.on("data", () => { probing = false; });
(async () => {
  while (probing) {
    const started = performance.now();
    let ok = false;
    try {
      const res = await fetch(base + "/healthz");
      await res.text();
      ok = res.status === 200;
    } catch {}
    times.push(ok ? performance.now() - started : null);
    if (times.length === 1) process.stdout.write(".");
    await new Promise((r) => setTimeout(r, 10));
  }
  process.stdout.write(JSON.stringify(times), () => process.exit(0));
})();
`;

/**
 * Probes a gateway's /healthz one request at a time, 10 ms apart, from another process, until
 * stopped: what each took in ms (a probe that was not answered 200 counts as infinite). For tests
 * that take the database away, or load it, and check that the process keeps answering. Resolves
 * once the first probe is answered, so the probes cover whatever the test does next.
 */
export async function probeHealthz(base: string): Promise<{ stop(): Promise<number[]> }> {
  const child = spawn(process.execPath, ["-e", PROBE_LOOP, base], { stdio: ["pipe", "pipe", "inherit"] });
  let out = "";
  const ended = new Promise<void>((resolve, reject) => {
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`the /healthz prober exited with ${code}`))));
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString("utf8");
      if (out.startsWith(".")) resolve();
    });
    ended.then(() => reject(new Error("the /healthz prober ended before its first probe")), reject);
  });
  return {
    async stop() {
      child.stdin.end("stop");
      await ended;
      const times = JSON.parse(out.slice(1)) as Array<number | null>;
      return times.map((t) => t ?? Number.POSITIVE_INFINITY);
    },
  };
}
