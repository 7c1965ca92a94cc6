import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { GcFigures } from "../../scripts/gc-window.js";
import { type Credentials, MallCaller } from "../helpers/mall-caller.js";
import { onPostgres, testDatabaseUrl } from "../helpers/test-database.js";

type Message = { url?: string; credentials?: Omit<Credentials, "signMode">; started?: boolean; figures?: GcFigures };

let child: ChildProcess;
const inbox: Message[] = [];
const waiters: ((m: Message) => void)[] = [];
const next = () => new Promise<Message>((resolve) => (inbox.length > 0 ? resolve(inbox.shift() as Message) : waiters.push(resolve)));

let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "emall-gc-"));
  const env = { ...process.env, LOG_LEVEL: "info", ...(onPostgres ? { GC_PROBE_DATABASE_URL: await testDatabaseUrl(dir) } : {}) };
  child = spawn(process.execPath, ["--import", "tsx", "tests/helpers/gc-probe-gateway.ts"], { stdio: ["ignore", "inherit", "inherit", "ipc"], env });
  const deliver = (m: Message) => {
    const waiter = waiters.shift();
    if (waiter) waiter(m);
    else inbox.push(m);
  };
  child.on("message", deliver);
  // A probe that dies answers every later wait with nothing, so the test fails at once.
  child.on("exit", () => {
    for (let i = 0; i < 3; i++) deliver({});
  });
});
afterAll(async () => {
  if (child.exitCode === null) {
    const exited = new Promise((r) => child.once("exit", r));
    child.send("close");
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
    if (child.exitCode === null) child.kill();
  }
  rmSync(dir, { recursive: true, force: true });
});

describe("signed mall calls and the old generation", () => {
  it("leave almost nothing in old space per call, so old-space mark-compacts stay rare under load", async () => {
    const up = await next();
    if (!up.url || !up.credentials) throw new Error("probe gateway did not start");
    const caller = new MallCaller(up.url, { ...up.credentials, signMode: "hmac-sha256" });
    expect((await caller.login()).body.success).toBe(true);
    const calls = async (n: number) => {
      for (let i = 0; i < n; i++) {
        const answer = await caller.call("/brands", { pageSize: "20" });
        expect(answer.body.success).toBe(true);
      }
    };
    await calls(300); // JIT, caches and connections first

    child.send("start");
    expect((await next()).started).toBe(true);
    const N = 1_500;
    await calls(N);
    child.send("stop");
    const { figures } = await next();
    if (!figures) throw new Error("no GC figures");

    // Each request's objects used to be held through young-generation collections (express's
    // per-request prototype change, a getter defined on every request) and promoted: 10–25 KB a
    // call. Now a call leaves 0.8–1.9 KB there on a quiet machine (a scavenge promotes whatever is in
    // flight when it runs, so the figure moves with timing) and 2.3 KB was seen under the full suite's
    // load: 4 KB stays clear of that noise and well under the 10 KB a regression would show. On
    // PostgreSQL a call waits for three statements on the pool, one after another, so a scavenge
    // finds more of it in flight and promotes it: 4.5 KB a call, quiet or loaded (no major GC in
    // the window); 6 KB keeps that apart from the regression.
    const perCall = figures.oldSpaceFilledBytes / N;
    const limit = onPostgres ? 6_144 : 4_096;
    expect(perCall, `old space filled ${perCall.toFixed(0)} bytes a call; ${JSON.stringify(figures)}`).toBeLessThan(limit);
  }, 180_000);
});
