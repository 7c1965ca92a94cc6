import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningSimulator } from "../../src/simulator/simulator-server.js";
import { nextCreditCode } from "../helpers/harness.js";
import { SIM_DOMAIN } from "../helpers/puller-harness.js";
import { runCliAsync as runCli } from "../helpers/run-cli.js";
import { TEST_ACCOUNT, launchSimulator } from "../helpers/simulator-harness.js";
import { testDatabaseUrl } from "../helpers/test-database.js";

const PRODUCTS = 150;
const dir = mkdtempSync(join(tmpdir(), "emall-cli-sync-progress-"));
// DATABASE_URL: a SQLite file in `dir`, or a fresh PostgreSQL database in the postgres project.
const env: Record<string, string> = { DATA_ENCRYPTION_KEY_FILE: join(dir, "master.key") };
let sim: RunningSimulator;

/** The CLI on a pseudo-terminal (util-linux `script`), as a person runs it: stdout and stderr both reach the terminal. */
function runCliOnTerminal(args: string[]): Promise<{ status: number | null; output: string }> {
  const command = [process.execPath, "--import", "tsx", "src/cli/main.ts", ...args].join(" ");
  return new Promise((resolve, reject) => {
    const child = spawn("script", ["-qfec", command, "/dev/null"], { env: { ...process.env, LOG_LEVEL: "warn", ...env }, stdio: ["pipe", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (c: Buffer) => (output += c.toString()));
    child.stderr.on("data", (c: Buffer) => (output += c.toString()));
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, output }));
  });
}

const SUMMARY_KEYS = [
  "runId",
  "supplier",
  "trigger",
  "status",
  "startedAt",
  "endedAt",
  "counts",
  "callsMade",
  "callsByOperation",
  "errors",
  "pendingInInbox",
  "deferred",
].sort();

beforeAll(async () => {
  env.DATABASE_URL = await testDatabaseUrl(dir);
  sim = await launchSimulator({ domain: SIM_DOMAIN, products: PRODUCTS, invalidShare: 0.1 });
  expect(
    (
      await runCli(
        ["supplier", "create", "--code", "SIM", "--name", "参考电商", "--credit-code", await nextCreditCode(), "--domain", SIM_DOMAIN, "--json"],
        env,
      )
    ).json,
  ).toMatchObject({ ok: true });
  const connected = await runCli(
    [
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
      "--qps",
      "1000",
      "--max-concurrent",
      "8",
      "--json",
    ],
    env,
  );
  expect(connected.json).toMatchObject({ ok: true });
  // The puller's progress is under test here, not certification.
  expect(
    (await runCli(["supplier", "waive-gate", "--code", "SIM", "--reason", "progress display test of the reference supplier", "--json"], env)).json,
  ).toMatchObject({ ok: true });
}, 120_000);
afterAll(async () => {
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("sync run's progress display", () => {
  it("on a terminal: messages done / seen, rate and ETA redrawn in place, then the summary", async () => {
    const { status, output } = await runCliOnTerminal(["sync", "run", "--supplier", "SIM"]);
    expect(status, output).toBe(0);
    expect(output).toMatch(/\r\x1b\[Kpull type 6: 0 \/ \d+ messages · — msgs\/s · ETA —/);
    expect(output).toContain(`\r\x1b[Kapply type 6: ${PRODUCTS} / ${PRODUCTS} messages · `);
    expect(output).toMatch(/apply type 6: [\d,]+ \/ 150 messages · [\d,]+ msgs\/s · ETA \d+s/);
    expect(output).toMatch(/run run_\S+ succeeded \(manual\)/);
  }, 90_000);

  it("piped: nothing but the summary, not a byte of progress", async () => {
    sim.sim.changes.publishPool();
    const run = await runCli(["sync", "run", "--supplier", "SIM"], env);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).toBe("");
    expect(run.stdout).not.toContain("\r");
    expect(run.stdout).not.toContain("ETA");
    expect(run.stdout).toMatch(/^run run_\S+ succeeded \(manual\)/);
  }, 90_000);

  it("with --json, on a terminal or piped: exactly the one JSON line, shaped as before", async () => {
    sim.sim.changes.publishPool();
    const onTerminal = await runCliOnTerminal(["sync", "run", "--supplier", "SIM", "--json"]);
    expect(onTerminal.status, onTerminal.output).toBe(0);
    expect(onTerminal.output).not.toContain("ETA");
    const lines = onTerminal.output.split(/\r?\n/).filter((l) => l !== "");
    expect(lines).toHaveLength(1);
    const fromTerminal = JSON.parse(lines[0] ?? "") as { ok: boolean; ran: boolean; summary: Record<string, unknown> };
    expect(Object.keys(fromTerminal)).toEqual(["ok", "ran", "summary"]);
    expect(Object.keys(fromTerminal.summary).sort()).toEqual(SUMMARY_KEYS);
    expect(fromTerminal.summary).toMatchObject({ status: "succeeded", counts: { "6": { received: PRODUCTS } } });

    sim.sim.changes.publishPool();
    const piped = await runCli(["sync", "run", "--supplier", "SIM", "--json"], env);
    expect(piped.stderr).toBe("");
    expect(piped.stdout.split("\n").filter((l) => l !== "")).toHaveLength(1);
    expect(Object.keys(piped.json ?? {})).toEqual(["ok", "ran", "summary"]);
    expect(Object.keys((piped.json as { summary: object }).summary).sort()).toEqual(SUMMARY_KEYS);
  }, 90_000);
});
