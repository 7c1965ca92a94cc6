import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningSimulator } from "../../src/simulator/simulator-server.js";
import { nextCreditCode } from "../helpers/harness.js";
import { runCliAsync as runCli, runCliAsync as runCliWithInput } from "../helpers/run-cli.js";
import { TEST_ACCOUNT, launchSimulator } from "../helpers/simulator-harness.js";
import { onPostgres, testDatabaseUrl } from "../helpers/test-database.js";

const dir = mkdtempSync(join(tmpdir(), "emall-cli-kit-"));
let env: Record<string, string>;
const DOMAIN = "item.sim-supplier.cn";
let sandbox: RunningSimulator;
let broken: RunningSimulator;

beforeAll(async () => {
  env = { DATABASE_URL: await testDatabaseUrl(dir), DATA_ENCRYPTION_KEY_FILE: join(dir, "master.key"), CONFORMANCE_REPORT_DIR: join(dir, "reports") };
  sandbox = await launchSimulator({ domain: DOMAIN, products: 12 });
  broken = await launchSimulator({ domain: DOMAIN, products: 12, knobs: { defects: ["duplicate-order"] } });
});
afterAll(async () => {
  await sandbox.close();
  await broken.close();
  rmSync(dir, { recursive: true, force: true });
});

type RunLine = {
  ok: boolean;
  run: {
    id: string;
    passed: boolean;
    modules: Array<{ id: string; title: string; status: string; steps: Array<{ id: string; title: string; status: string; detail: string }> }>;
    reportJson: string;
    reportHtml: string;
    trustMark: string | null;
  };
};

const kitArgs = (url: string) => [
  "conformance",
  "run",
  "--supplier",
  "KIT",
  "--base-url",
  url,
  "--username",
  TEST_ACCOUNT.username,
  "--password",
  TEST_ACCOUNT.password,
  "--app-secret",
  TEST_ACCOUNT.appSecret,
  "--sign-mode",
  "hmac-sha256",
  "--encoding",
  "form",
  "--json",
];

describe("conformance from the CLI", () => {
  it("runs the kit, prints the run as the last JSON line, verifies the mark and report, suspends, revokes and waives", async () => {
    expect(
      (await runCli(["supplier", "create", "--code", "KIT", "--name", "参考电商", "--credit-code", await nextCreditCode(), "--domain", DOMAIN, "--json"], env))
        .json,
    ).toMatchObject({ ok: true });

    const failed = await runCli(kitArgs(broken.url), env);
    expect(failed.status, failed.stderr).toBe(0);
    const f = failed.json as RunLine;
    // ok: the run completed; its verdict is in run.passed.
    expect(f.ok).toBe(true);
    expect(f.run.passed).toBe(false);
    expect(f.run.trustMark).toBeNull();
    expect(f.run.modules.find((m) => m.id === "orders")?.steps.find((s) => s.id === "order.resubmit")?.status).toBe("failed");

    const passed = await runCli(kitArgs(sandbox.url), env);
    const p = passed.json as RunLine;
    expect(Object.keys(p)).toEqual(["ok", "run"]);
    expect(Object.keys(p.run)).toEqual(["id", "passed", "modules", "reportJson", "reportHtml", "trustMark"]);
    expect(Object.keys(p.run.modules[0] ?? {})).toEqual(["id", "title", "status", "steps"]);
    expect(Object.keys(p.run.modules[0]?.steps[0] ?? {})).toEqual(["id", "title", "status", "detail"]);
    expect(p.run.passed).toBe(true);
    expect(p.run.trustMark).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(readFileSync(p.run.reportHtml, "utf8")).toContain("电子卖场对接测试报告");

    const mark = await runCli(["conformance", "verify", "--mark", p.run.trustMark ?? "", "--json"], env);
    expect(mark.json).toMatchObject({ ok: true, valid: true, state: "valid", claims: { supplier_code: "KIT", run_id: p.run.id } });
    const report = await runCli(["conformance", "verify", "--report", p.run.reportJson, "--json"], env);
    expect(report.json).toMatchObject({ ok: true, valid: true, runId: p.run.id, passed: true });
    // Offline, against a saved copy of the published keys.
    const jwks = await runCli(["conformance", "jwks", "--json"], env);
    const jwksFile = join(dir, "jwks.json");
    writeFileSync(jwksFile, JSON.stringify((jwks.json as { jwks: unknown }).jwks));
    const edited = join(dir, "edited.json");
    writeFileSync(edited, readFileSync(p.run.reportJson, "utf8").replace('"passed": true', '"passed": false'));
    writeFileSync(`${edited}.jws`, readFileSync(`${p.run.reportJson}.jws`));
    const tampered = await runCli(["conformance", "verify", "--report", edited, "--jwks", jwksFile, "--json"], env);
    expect(tampered.status).toBe(1);
    expect(tampered.json).toMatchObject({ ok: false, error: { kind: "invalid_report" }, valid: false });

    const listed = await runCli(["conformance", "list", "--supplier", "KIT", "--json"], env);
    expect(listed.json).toMatchObject({ ok: true, mark: { state: "valid" }, gate: { open: true, via: "mark" } });
    expect((listed.json as { runs: unknown[] }).runs).toHaveLength(2);
    const shown = await runCli(["conformance", "show", "--run", p.run.id, "--json"], env);
    expect(shown.json).toMatchObject({ ok: true, run: { id: p.run.id, passed: true }, mark: { state: "valid" } });
    expect(JSON.stringify((shown.json as { report: unknown }).report)).toContain("evidence");

    const suspended = await runCli(["conformance", "suspend", "--supplier", "KIT", "--reason", "价格推送异常", "--json"], env);
    expect(suspended.json).toMatchObject({ ok: true, mark: { state: "suspended", reason: "价格推送异常" } });
    const connect = await runCli(
      [
        "supplier",
        "connect",
        "--code",
        "KIT",
        "--base-url",
        sandbox.url,
        "--username",
        TEST_ACCOUNT.username,
        "--password",
        TEST_ACCOUNT.password,
        "--app-secret",
        TEST_ACCOUNT.appSecret,
        "--json",
      ],
      env,
    );
    expect(connect.json).toMatchObject({ ok: true });
    const refusedSync = await runCli(["sync", "run", "--supplier", "KIT", "--json"], env);
    expect(refusedSync.json).toMatchObject({ ok: false, error: { kind: "gate_closed", reason: "suspended" } });
    const verifySuspended = await runCli(["conformance", "verify", "--mark", p.run.trustMark ?? "", "--json"], env);
    expect(verifySuspended.status).toBe(1);
    expect(verifySuspended.json).toMatchObject({ ok: false, valid: false, state: "suspended" });

    const revoked = await runCli(["conformance", "revoke", "--supplier", "KIT", "--reason", "多次违规", "--json"], env);
    expect(revoked.json).toMatchObject({ ok: true, mark: { state: "revoked" } });
    expect((await runCli(["sync", "run", "--supplier", "KIT", "--json"], env)).json).toMatchObject({ ok: false, error: { reason: "revoked" } });
    const noReason = await runCli(["supplier", "waive-gate", "--code", "KIT", "--json"], env);
    expect(noReason.status).toBe(64);
    const waived = await runCli(["supplier", "waive-gate", "--code", "KIT", "--reason", "已与中央电子卖场对接", "--json"], env);
    expect(waived.json).toMatchObject({ ok: true, waiver: { reason: "已与中央电子卖场对接" } });
    expect((await runCli(["sync", "run", "--supplier", "KIT", "--json"], env)).json).toMatchObject({ ok: true, ran: true });

    const audit = await runCli(["audit", "list", "--action", "conformance", "--json"], env);
    const rows = (audit.json as { entries: Array<{ action: string }> }).entries;
    expect(rows.map((r) => r.action)).toEqual(expect.arrayContaining(["conformance.run", "conformance.suspend", "conformance.revoke"]));
    const waiverAudit = await runCli(["audit", "list", "--action", "supplier.waive_gate", "--json"], env);
    expect(JSON.stringify(waiverAudit.json)).toContain("已与中央电子卖场对接");
    // Every CLI process used the project's database, not a SQLite file beside the reports.
    expect(existsSync(join(dir, "gateway.db"))).toBe(!onPostgres);
  }, 300_000);

  it("takes the sandbox secrets from a file or stdin, keeps the old flags with a warning, and never echoes a secret it cannot read", async () => {
    // After the first test: supplier KIT exists.
    const base = ["conformance", "run", "--supplier", "KIT", "--base-url", sandbox.url, "--username", TEST_ACCOUNT.username, "--json"];
    // A run empties the sandbox's type-6 pool; as a supplier would before running again, it re-announces its skus.
    const runCli = (args: string[], e: Record<string, string>, input?: string) => {
      if (sandbox.sim.pool.pending(6) === 0) sandbox.sim.changes.publishPool();
      return runCliWithInput(args, e, input);
    };
    const secretsFile = join(dir, "sandbox.secrets");
    writeFileSync(secretsFile, `# sandbox account\npassword=${TEST_ACCOUNT.password}\napp_secret=${TEST_ACCOUNT.appSecret}\n`, { mode: 0o600 });
    const fromFile = await runCli([...base, "--secrets-file", secretsFile], env);
    expect(fromFile.json, fromFile.stderr).toMatchObject({ ok: true, run: { passed: true } });
    expect(fromFile.stderr).not.toContain("warning");

    const fromStdin = await runCli([...base, "--secrets-stdin"], env, `password=${TEST_ACCOUNT.password}\napp_secret=${TEST_ACCOUNT.appSecret}\n`);
    expect(fromStdin.json, fromStdin.stderr).toMatchObject({ ok: true, run: { passed: true } });

    const flagged = await runCli([...base, "--password", TEST_ACCOUNT.password, "--app-secret", TEST_ACCOUNT.appSecret], env);
    expect(flagged.json).toMatchObject({ ok: true, run: { passed: true } });
    expect(flagged.stderr).toContain("warning: --password and --app-secret show in ps and the shell history");

    const both = await runCli([...base, "--secrets-file", secretsFile, "--password", "x"], env);
    expect(both.status).not.toBe(0);
    expect(both.json).toMatchObject({ ok: false, error: { kind: "usage" } });

    // A line without `=` may be a secret on its own: the error names the line, not its text.
    writeFileSync(secretsFile, `${TEST_ACCOUNT.password}\napp_secret=${TEST_ACCOUNT.appSecret}\n`, { mode: 0o644 });
    const malformed = await runCli([...base, "--secrets-file", secretsFile], env);
    expect(malformed.json).toMatchObject({
      ok: false,
      error: { kind: "usage", message: expect.stringContaining("line 1: expected password=… or app_secret=…") },
    });
    expect(malformed.stdout + malformed.stderr).not.toContain(TEST_ACCOUNT.password);
    expect(malformed.stdout + malformed.stderr).not.toContain(TEST_ACCOUNT.appSecret);

    writeFileSync(secretsFile, `password=${TEST_ACCOUNT.password}\napp_secret=${TEST_ACCOUNT.appSecret}\n`);
    chmodSync(secretsFile, 0o644);
    const readable = await runCli([...base, "--secrets-file", secretsFile], env);
    expect(readable.json).toMatchObject({ ok: true });
    expect(readable.stderr).toMatch(/warning: --secrets-file \S+ can be read by other users \(mode 644\); chmod 600 it/);
  }, 120_000);
});
