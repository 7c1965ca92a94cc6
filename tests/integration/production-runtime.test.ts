import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { databaseTarget, loadConfig } from "../../src/config/config.js";
import { createContainer } from "../../src/container.js";
import { silentLogger } from "../../src/lib/logger.js";
import { type Store, openPgStore, openStoreReadOnly } from "../../src/store/database.js";
import type { RunningSimulator } from "../../src/simulator/simulator-server.js";
import { nextCreditCode } from "../helpers/harness.js";
import { SIM_DOMAIN, compareWithTruth } from "../helpers/puller-harness.js";
import { promtool } from "../helpers/promtool.js";
import { TEST_ACCOUNT, launchSimulator } from "../helpers/simulator-harness.js";
import { onPostgres, testDatabaseUrl } from "../helpers/test-database.js";
import { rawSql } from "../helpers/raw-sql.js";

/**
 * The production runtime: `npm run build`, then the gateway and the CLI as plain node over dist/
 * (no tsx), stopped with SIGTERM in the middle of a drain; in the postgres project, all of it on PostgreSQL.
 */
const dir = mkdtempSync(join(tmpdir(), "emall-prod-"));
const env = { DATABASE_URL: "", DATA_ENCRYPTION_KEY_FILE: join(dir, "master.key"), NODE_ENV: "test", LOG_LEVEL: "info" };
const ADMIN = { username: "ops_admin", password: "ops-admin-Pa55word" };
/** More than the groups a drain applies at once (3 × 100), so a stop leaves some in the inbox. */
const PRODUCTS = 1_000;
let sim: RunningSimulator;

/** `node dist/cli/main.js …` — the compiled CLI, without tsx; async, as the simulator answers from this process. */
function cli(args: string[], input?: string): Promise<{ status: number | null; json: Record<string, unknown> | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["dist/cli/main.js", ...args, "--json"], {
      env: { ...process.env, ...env, LOG_LEVEL: "warn" },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("error", reject);
    child.stdin.end(input ?? "");
    child.on("close", (status) => {
      let json: Record<string, unknown> | null = null;
      try {
        json = JSON.parse(stdout.trim().split("\n").at(-1) ?? "") as Record<string, unknown>;
      } catch {
        json = null;
      }
      resolve({ status, json, stderr });
    });
  });
}

type Gateway = { child: ChildProcess; url: string; log: () => string; exited: Promise<{ code: number | null; at: number }> };

/** `node dist/main.js` on an ephemeral port; resolves once it logs where it listens. */
async function startCompiledGateway(extra: Record<string, string> = {}): Promise<Gateway> {
  const child = spawn(process.execPath, ["dist/main.js"], { env: { ...process.env, ...env, PORT: "0", ...extra }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout?.on("data", (c: Buffer) => (out += c.toString()));
  child.stderr?.on("data", (c: Buffer) => (out += c.toString()));
  const exited = new Promise<{ code: number | null; at: number }>((resolve) => child.once("exit", (code) => resolve({ code, at: Date.now() })));
  const until = Date.now() + 60_000;
  for (;;) {
    const url = /"url":"(http:\/\/[^"]+)"/.exec(out)?.[1];
    if (url) return { child, url, log: () => out, exited };
    if (child.exitCode !== null || Date.now() > until) throw new Error(`gateway did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function adminSession(url: string): Promise<{ cookie: string; csrf: string }> {
  const res = await fetch(`${url}/admin/api/login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(ADMIN) });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { csrfToken: string };
  return { cookie: (res.headers.get("set-cookie") ?? "").split(";")[0] ?? "", csrf: body.csrfToken };
}

/** A second connection to the gateway's database, for the test's own reads while the gateway runs. */
async function openForReading(): Promise<Store> {
  const target = databaseTarget(env);
  return target.kind === "postgres" ? await openPgStore(target.url) : openStoreReadOnly(target.path);
}

beforeAll(async () => {
  env.DATABASE_URL = await testDatabaseUrl(dir);
  const build = spawnSync("npm", ["run", "build"], { encoding: "utf8", timeout: 300_000 });
  expect(build.status, `${build.stdout}\n${build.stderr}`).toBe(0);
  sim = await launchSimulator({
    domain: SIM_DOMAIN,
    products: PRODUCTS,
    invalidShare: 0.1,
    knobs: { endpoints: { detail: { latencyMs: 40 }, attributes: { latencyMs: 40 } } },
  });
}, 360_000);
afterAll(async () => {
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("the compiled runtime", () => {
  it("builds dist/ with what the runtime reads beside its modules, and npm start runs it with plain node", () => {
    expect(JSON.parse(readFileSync("package.json", "utf8")).scripts.start).toBe("node dist/main.js");
    const runtimeFiles = [
      "dist/main.js",
      "dist/cli/main.js",
      "dist/store/migrations/meta/_journal.json",
      "dist/store/migrations-pg/meta/_journal.json",
      "dist/admin/console/assets/console.css",
    ];
    for (const file of runtimeFiles) expect(existsSync(file), file).toBe(true);
  });

  it("starts on an empty database of the project's kind (PostgreSQL in the postgres project), migrates it, answers /readyz ready and exits 0 on SIGTERM", async () => {
    const gw = await startCompiledGateway();
    try {
      const ready = await fetch(`${gw.url}/readyz`);
      expect(ready.status, gw.log()).toBe(200);
      // The migrations it reports current are its database's own: PostgreSQL's journal in the postgres project.
      const journal = JSON.parse(readFileSync(`dist/store/${onPostgres ? "migrations-pg" : "migrations"}/meta/_journal.json`, "utf8")) as {
        entries: Array<{ tag: string }>;
      };
      const latest = journal.entries.at(-1)?.tag ?? "";
      expect(await ready.json()).toMatchObject({
        status: "ready",
        checks: { database: { ok: true }, migrations: { ok: true, detail: `current (${latest})` }, scheduler: { ok: true } },
      });
    } finally {
      gw.child.kill("SIGTERM");
    }
    expect((await gw.exited).code, gw.log()).toBe(0);
    expect(gw.log()).toMatch(/"event":"server.stopped"/);
  }, 120_000);

  it("runs the CLI compiled", async () => {
    const created = await cli(["supplier", "create", "--code", "SIM", "--name", "参考电商", "--credit-code", await nextCreditCode(), "--domain", SIM_DOMAIN]);
    expect(created.json, created.stderr).toMatchObject({ ok: true });
    const connected = await cli([
      "supplier",
      "connect",
      "--code",
      "SIM",
      "--base-url",
      sim.url,
      "--username",
      TEST_ACCOUNT.username,
      "--password",
      TEST_ACCOUNT.password,
      "--app-secret",
      TEST_ACCOUNT.appSecret,
      "--max-concurrent",
      "4",
      "--qps",
      "1000",
      "--schedule",
      "0 0 1 1 *",
    ]);
    expect(connected.json, connected.stderr).toMatchObject({ ok: true });
    // The runtime, not certification, is under test: the gate is waived with the reason recorded.
    const waived = await cli(["supplier", "waive-gate", "--code", "SIM", "--reason", "compiled-runtime test of the reference supplier"]);
    expect(waived.json, waived.stderr).toMatchObject({ ok: true });
    const user = await cli(["users", "create", "--username", ADMIN.username, "--role", "admin", "--password-stdin"], `${ADMIN.password}\n`);
    expect(user.json, user.stderr).toMatchObject({ ok: true });
  });

  it("serves health, readiness and a /metrics scrape promtool accepts", async () => {
    const gw = await startCompiledGateway();
    try {
      expect(await (await fetch(`${gw.url}/healthz`)).json()).toEqual({ status: "ok" });
      const ready = (await (await fetch(`${gw.url}/readyz`)).json()) as { status: string; checks: { scheduler: { detail: string } } };
      expect(ready).toMatchObject({ status: "ready", checks: { scheduler: { detail: "running" } } });
      const scrape = await (await fetch(`${gw.url}/metrics`)).text();
      expect(scrape).toContain('emall_pool_backlog_messages{supplier="SIM"} 0');
      const checked = promtool(["check", "metrics"], scrape);
      expect(checked.output).toBe("");
      expect(checked.status).toBe(0);
    } finally {
      gw.child.kill("SIGTERM");
      await gw.exited;
    }
  }, 120_000);

  it("on SIGTERM mid-drain: ends the drain at a chunk, releases its lease, closes the database and exits 0 within 10 s; the next run finishes exactly once", async () => {
    const gw = await startCompiledGateway({ SCHEDULER_ENABLED: "false" });
    const session = await adminSession(gw.url);
    const drain = fetch(`${gw.url}/admin/api/suppliers/SIM/sync`, { method: "POST", headers: { cookie: session.cookie, "x-csrf-token": session.csrf } });

    const reading = await openForReading();
    const db = rawSql(reading);
    const applied = async () => Number(await db.value("SELECT COUNT(*) FROM message_inbox WHERE status <> 'pending'"));
    const until = Date.now() + 60_000;
    while ((await applied()) === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    expect(await applied()).toBeGreaterThan(0);
    expect(await applied()).toBeLessThan(PRODUCTS);

    const signalledAt = Date.now();
    gw.child.kill("SIGTERM");
    const answer = await drain;
    const exit = await gw.exited;
    expect(exit.code, gw.log()).toBe(0);
    expect(exit.at - signalledAt).toBeLessThan(10_000);
    expect(gw.log()).toMatch(/"event":"server.stopped","drained":true/);

    // The request in flight got its answer: the run ended early, for the stop, not as a failure.
    expect(answer.status).toBe(200);
    const run = (
      (await answer.json()) as {
        run: { status: string; errors: Array<{ kind: string }>; pendingInInbox: number; counts: Record<string, { applied: number; rejected: number }> };
      }
    ).run;
    expect(run.status).toBe("partial");
    expect(run.errors.map((e) => e.kind)).toContain("stopped");
    // Groups commit what they had read (reads not yet sent are withheld); the rest waits in the inbox and the pool.
    const settled = Object.values(run.counts).reduce((n, c) => n + c.applied + c.rejected, 0);
    expect(settled).toBeLessThan(PRODUCTS);
    expect(run.pendingInInbox).toBeGreaterThan(0);
    expect(await db.value("SELECT COUNT(*) FROM sync_leases")).toBe(0);
    expect(await db.value("SELECT COUNT(*) FROM sync_runs WHERE status = 'running'")).toBe(0);
    reading.close();

    // Restarted, compiled: the CLI's run takes the lease at once and applies what was left.
    const resumed = await cli(["sync", "run", "--supplier", "SIM"]);
    expect(resumed.json, resumed.stderr).toMatchObject({ ok: true, summary: { status: "succeeded", pendingInInbox: 0 } });
    const container = await createContainer(loadConfig(env), silentLogger());
    try {
      const supplierId = (await container.repos.accounts.supplierByCode("SIM"))?.id ?? -1;
      expect(await compareWithTruth({ sim, supplierId, gw: { container } })).toEqual([]);
      const twice = await rawSql(container.store).value(
        "SELECT COUNT(*) FROM (SELECT message_id FROM sync_message_logs WHERE outcome IN ('applied', 'rejected') GROUP BY message_id HAVING COUNT(*) > 1) AS repeated",
      );
      expect(twice).toBe(0);
      expect(await rawSql(container.store).value("SELECT COUNT(DISTINCT message_id) FROM sync_message_logs WHERE outcome IN ('applied', 'rejected')")).toBe(
        PRODUCTS,
      );
    } finally {
      container.close();
    }
  }, 180_000);
});
