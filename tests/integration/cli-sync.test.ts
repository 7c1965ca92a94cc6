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

const dir = mkdtempSync(join(tmpdir(), "emall-cli-sync-"));
// DATABASE_URL: a SQLite file in `dir`, or a fresh PostgreSQL database in the postgres project.
const env: Record<string, string> = { DATA_ENCRYPTION_KEY_FILE: join(dir, "master.key") };
let sim: RunningSimulator;

beforeAll(async () => {
  env.DATABASE_URL = await testDatabaseUrl(dir);
  // 300 products make the JSON line of `products list` longer than a pipe buffer (64 KiB).
  sim = await launchSimulator({ domain: SIM_DOMAIN, products: 300, invalidShare: 0.2 });
});
afterAll(async () => {
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("puller from the CLI", () => {
  it("connects a supplier, runs a sync with a JSON summary, lists products and sync logs", async () => {
    const created = await runCli(
      ["supplier", "create", "--code", "SIM", "--name", "参考电商", "--credit-code", await nextCreditCode(), "--domain", SIM_DOMAIN, "--json"],
      env,
    );
    expect(created.json).toMatchObject({ ok: true });
    const badCron = await runCli(
      [
        "supplier",
        "connect",
        "--code",
        "SIM",
        "--base-url",
        sim.url,
        "--username",
        "u",
        "--password",
        "p",
        "--app-secret",
        TEST_ACCOUNT.appSecret,
        "--schedule",
        "every minute",
        "--json",
      ],
      env,
    );
    expect(badCron.json).toMatchObject({ ok: false, error: { kind: "invalid" } });
    expect(JSON.stringify(badCron.json)).toContain("cron");
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
        "200",
        "--json",
      ],
      env,
    );
    expect(connected.json).toMatchObject({
      ok: true,
      connection: { supplierCode: "SIM", pullSchedule: "* * * * *", signMode: "hmac-sha256", bodyFormat: "form" },
    });
    expect(JSON.stringify(connected.json)).not.toContain(TEST_ACCOUNT.password);

    // No trust mark yet: the production gate refuses, naming why.
    const gated = await runCli(["sync", "run", "--supplier", "SIM", "--json"], env);
    expect(gated.status).toBe(1);
    expect(gated.json).toMatchObject({ ok: false, error: { kind: "gate_closed", reason: "no_mark" } });
    // This rig's supplier is the reference supplier with deliberately invalid products; the puller, not certification, is under test here.
    const waived = await runCli(["supplier", "waive-gate", "--code", "SIM", "--reason", "puller CLI test of the reference supplier", "--json"], env);
    expect(waived.json).toMatchObject({ ok: true, waiver: { supplier: "SIM", reason: "puller CLI test of the reference supplier" } });

    const run = await runCli(["sync", "run", "--supplier", "SIM", "--json"], env);
    expect(run.status, run.stderr).toBe(0);
    const summary = (run.json as { summary: { status: string; counts: Record<string, Record<string, number>>; callsMade: number } }).summary;
    expect(summary.status).toBe("succeeded");
    expect(summary.counts["6"]?.received).toBe(300);
    expect(summary.callsMade).toBeGreaterThan(50);

    const listed = await runCli(["products", "list", "--supplier", "SIM", "--json"], env);
    const products = (
      listed.json as {
        products: Array<{ sku: string; status: string; price: number | null; reasons: Array<{ code: number; field: string; message: string }> }>;
      }
    ).products;
    expect(listed.stdout.length).toBeGreaterThan(65_536);
    expect(products).toHaveLength(300);
    const truth = sim.sim.exportTruth().products;
    for (const p of products) {
      const t = truth.find((x) => x.sku === p.sku);
      expect(p.status).toBe(t?.valid ? "active" : "rejected");
      if (t?.valid) expect(p.price).toBe(t.price);
      else expect(p.reasons[0]).toEqual({ code: expect.any(Number), field: expect.any(String), message: expect.any(String) });
    }

    const runs = await runCli(["sync", "logs", "--supplier", "SIM", "--json"], env);
    expect((runs.json as { runs: Array<{ status: string }> }).runs[0]?.status).toBe("succeeded");
    const rejected = await runCli(["sync", "logs", "--supplier", "SIM", "--outcome", "rejected", "--limit", "1000", "--json"], env);
    expect((rejected.json as { messages: unknown[] }).messages.length).toBe(products.filter((p) => p.status === "rejected").length);
  }, 90_000);

  it("reports a run that leaves messages waiting after transient failures as partial, saying when they come due", async () => {
    // After the first test: connected, waived, the pool drained. One price change whose S-10 fails every attempt.
    const product = sim.sim.products.all().find((p) => p.inPool);
    if (!product) throw new Error("no product in the pool");
    sim.sim.changes.apply("price", product);
    sim.sim.knobs.inject("prices", "http-5xx", 4);
    const run = await runCli(["sync", "run", "--supplier", "SIM"], env);
    expect(run.stdout).toMatch(/^run run_\S+ partial /m);
    expect(run.stdout).toMatch(
      /deferred after a transient failure: 1; the first comes due at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \(Beijing time, in \d+ s\), for the next run/,
    );
  }, 60_000);
});
