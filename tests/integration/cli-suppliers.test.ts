import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { beijingText } from "../../src/lib/beijing-time.js";
import { nextCreditCode, startTestGateway } from "../helpers/harness.js";
import { MallCaller } from "../helpers/mall-caller.js";
import { runCli } from "../helpers/run-cli.js";
import { onPostgres, testDatabaseUrl } from "../helpers/test-database.js";

const dir = mkdtempSync(join(tmpdir(), "emall-cli-"));
const env = { DATABASE_URL: "", DATA_ENCRYPTION_KEY_FILE: join(dir, "master.key") };
beforeAll(async () => {
  env.DATABASE_URL = await testDatabaseUrl(dir);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Everything the database holds, as stored: the SQLite file's bytes, or every PostgreSQL row as text. */
async function storedBytes(): Promise<Buffer> {
  if (!onPostgres) return readFileSync(env.DATABASE_URL);
  const client = new pg.Client({ connectionString: env.DATABASE_URL });
  await client.connect();
  try {
    const tables = await client.query<{ name: string }>("SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public'");
    const rows: string[] = [];
    for (const { name } of tables.rows) {
      const dumped = await client.query<{ row: string }>(`SELECT t::text AS row FROM "${name}" t`);
      rows.push(...dumped.rows.map((r) => r.row));
    }
    return Buffer.from(rows.join("\n"));
  } finally {
    await client.end();
  }
}

describe("supplier CLI (--json: one JSON object on the last line)", () => {
  it("creates a supplier whose printed credentials work against the gateway, in both sign modes", async () => {
    const hmac = runCli(
      [
        "supplier",
        "create",
        "--code",
        "JD",
        "--name",
        "京东",
        "--credit-code",
        await nextCreditCode(),
        "--domain",
        "item.jd.com",
        "--contact-phone",
        "13800000000",
        "--json",
      ],
      env,
    );
    expect(hmac.status, hmac.stderr).toBe(0);
    expect(hmac.json).toMatchObject({ ok: true, supplier: { code: "JD", signMode: "hmac-sha256", contactPhone: "[encrypted]" } });
    const md5 = runCli(
      [
        "supplier",
        "create",
        "--code",
        "COMIX",
        "--name",
        "齐心",
        "--credit-code",
        await nextCreditCode(),
        "--domain",
        "www.comix.com.cn",
        "--sign-mode",
        "yggc-md5",
        "--json",
      ],
      env,
    );
    expect(md5.json).toMatchObject({ ok: true, supplier: { signMode: "yggc-md5" } });

    const dbBytes = await storedBytes();
    expect(dbBytes.includes(Buffer.from("京东"))).toBe(true);
    const hmacCreds = (hmac.json as { credentials: { username: string; password: string; appSecret: string } }).credentials;
    expect(dbBytes.includes(Buffer.from(hmacCreds.password))).toBe(false);
    expect(dbBytes.includes(Buffer.from(hmacCreds.appSecret))).toBe(false);
    expect(dbBytes.includes(Buffer.from("13800000000"))).toBe(false);

    const gw = await startTestGateway({ ...env });
    try {
      for (const [created, signMode] of [
        [hmac, "hmac-sha256"],
        [md5, "yggc-md5"],
      ] as const) {
        const creds = (created.json as { credentials: { username: string; password: string; appSecret: string } }).credentials;
        const caller = new MallCaller(gw.url, { ...creds, signMode }, gw.clock.now);
        expect((await caller.login()).body.success).toBe(true);
        expect((await caller.call("/brands", { pageSize: "1" })).body.success).toBe(true);
      }
    } finally {
      await gw.close().catch(() => undefined);
    }
  }, 120_000);

  it("lists, rotates, disables and enables, and refuses bad input with a typed error", async () => {
    const list = runCli(["supplier", "list", "--json"], env);
    expect((list.json as { suppliers: Array<{ code: string }> }).suppliers.map((s) => s.code)).toEqual(["COMIX", "JD"]);
    const rotated = runCli(["supplier", "rotate", "--code", "JD", "--app-secret", "--json"], env);
    expect(rotated.json).toMatchObject({ ok: true, credentials: { username: "jd" } });
    expect((rotated.json as { credentials: Record<string, unknown> }).credentials.password).toBeUndefined();
    expect(runCli(["supplier", "disable", "--code", "JD", "--json"], env).json).toMatchObject({ supplier: { status: "disabled" } });
    expect(runCli(["supplier", "enable", "--code", "JD", "--json"], env).json).toMatchObject({ supplier: { status: "active" } });
    const bad = runCli(["supplier", "create", "--code", "X1", "--name", "坏", "--credit-code", "91110000802100433C", "--domain", "a.cn", "--json"], env);
    expect(bad.status).toBe(1);
    expect(bad.json).toMatchObject({ ok: false, error: { kind: "invalid" } });
    expect(JSON.stringify(bad.json)).toContain("统一社会信用代码");
    const usage = runCli(["supplier", "create", "--json"], env);
    expect(usage.status).toBe(64);
    expect(usage.json).toMatchObject({ ok: false, error: { kind: "usage" } });

    // Every state change from the CLI lands in the hash-chained audit log, refusals too, never a secret.
    const audit = runCli(["audit", "list", "--json"], env);
    const entries = (audit.json as { entries: Array<{ action: string; target: string | null; outcome: string; actor: string; summary: unknown }> }).entries;
    const rotation = entries.find((e) => e.action === "supplier.rotate_secrets");
    expect(rotation).toMatchObject({ target: "JD", outcome: "ok", summary: { rotated: ["appSecret"] } });
    expect(rotation?.actor).toMatch(/^cli:/);
    expect(entries.filter((e) => e.action === "supplier.status").map((e) => e.target)).toEqual(["JD", "JD"]);
    expect(entries.find((e) => e.action === "supplier.create" && e.outcome === "refused")).toBeDefined();
    const secret = (rotated.json as { credentials: { appSecret: string } }).credentials.appSecret;
    expect(JSON.stringify(entries)).not.toContain(secret);
    expect(runCli(["audit", "verify", "--json"], env).json).toMatchObject({ ok: true });

    // In a terminal: plain text with the time in Beijing time, never the console's markup.
    const human = runCli(["audit", "list", "--limit", "3"], env);
    expect(human.status, human.stderr).toBe(0);
    expect(human.stdout).not.toMatch(/<\/?[a-z][^>]*>/i);
    const newest = (audit.json as { entries: Array<{ at: number }> }).entries[0]?.at ?? 0;
    expect(human.stdout).toContain(`${beijingText(newest)} 北京时间`);
  }, 120_000);

  it("reloads a catalog edition from a file and reports what changed", () => {
    const same = runCli(["reference", "load", "--catalogs", "fixtures/catalogs.json", "--json"], env);
    expect(same.json).toMatchObject({ ok: true, report: { catalogs: { changed: 0, added: 0, retired: 0 } } });
    const missing = runCli(["reference", "load", "--catalogs", join(dir, "nope.json"), "--json"], env);
    expect(missing.json).toMatchObject({ ok: false, error: { kind: "invalid" } });
    // The revision every reload bumps, as a number: what a running gateway's mall answers cache on.
    const status = runCli(["reference", "status", "--json"], env);
    const report = (status.json as { report: { revision: unknown; catalogs: number } }).report;
    expect(typeof report.revision).toBe("number");
    expect(report.revision).toBeGreaterThan(0);
    expect(report.catalogs).toBeGreaterThan(0);
  }, 60_000);
});
