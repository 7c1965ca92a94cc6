import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/run-cli.js";

/**
 * The audit log's hash chain against someone holding the SQLite file: every edit or deletion is
 * found by `npm run cli -- audit verify`, which names the first broken row and exits 1.
 */
describe("audit verify on a tampered database", () => {
  const dir = mkdtempSync(join(tmpdir(), "emall-audit-"));
  const env = { DATABASE_URL: join(dir, "clean.db"), DATA_ENCRYPTION_KEY_FILE: join(dir, "master.key") };
  /** A copy of the clean file to tamper with, so each case starts from the same chain. */
  const tampered = (name: string, sql: string) => {
    const path = join(dir, `${name}.db`);
    copyFileSync(env.DATABASE_URL, path);
    const db = new Database(path);
    db.exec(sql);
    db.close();
    return runCli(["audit", "verify", "--json"], { ...env, DATABASE_URL: path });
  };

  beforeAll(() => {
    for (const [username, role] of [
      ["root1", "admin"],
      ["buyer1", "procurement"],
      ["reader1", "auditor"],
    ]) {
      const r = runCli(
        ["users", "create", "--username", username ?? "", "--role", role ?? "", "--password-stdin", "--json"],
        env,
        "correct horse battery staple\n",
      );
      expect(r.json, r.stderr).toMatchObject({ ok: true });
    }
    expect(runCli(["users", "disable", "--username", "buyer1", "--json"], env).json).toMatchObject({ ok: true });
    expect(runCli(["users", "role", "--username", "reader1", "--role", "admin", "--json"], env).json).toMatchObject({ ok: true });
    // Fold the WAL into the main file so copies carry every row.
    const db = new Database(env.DATABASE_URL);
    db.pragma("wal_checkpoint(TRUNCATE)");
    db.close();
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("passes on the untouched log", () => {
    const r = runCli(["audit", "verify", "--json"], env);
    expect(r.status).toBe(0);
    expect(r.json).toMatchObject({ ok: true, verdict: { ok: true, rows: 5 } });
  });

  it("names the row whose content was edited", () => {
    const r = tampered("edited", `UPDATE audit_log SET summary_json = '{"after":{"role":"admin"}}' WHERE id = 3`);
    expect(r.status).toBe(1);
    expect(r.json).toMatchObject({ ok: false, error: { kind: "tampered" }, verdict: { ok: false, brokenAt: 3, rows: 2 } });
    expect((r.json?.verdict as { reason: string }).reason).toContain("edited");
  });

  it("names the row whose actor was changed and its hash recomputed naively", () => {
    const r = tampered("rehashed", `UPDATE audit_log SET actor = 'someone-else', hash = '${"f".repeat(64)}' WHERE id = 2`);
    expect(r.status).toBe(1);
    expect(r.json).toMatchObject({ verdict: { ok: false, brokenAt: 2 } });
  });

  it("names the gap a deleted row leaves", () => {
    const r = tampered("deleted", "DELETE FROM audit_log WHERE id = 2");
    expect(r.status).toBe(1);
    expect(r.json).toMatchObject({ verdict: { ok: false, brokenAt: 3 } });
    expect((r.json?.verdict as { reason: string }).reason).toContain("rows 2…2 are missing");
  });

  it("notices rows deleted from the end", () => {
    const r = tampered("truncated", "DELETE FROM audit_log WHERE id >= 4");
    expect(r.status).toBe(1);
    expect(r.json).toMatchObject({ verdict: { ok: false, brokenAt: 4 } });
  });

  it("says so in words without --json, with exit 1", () => {
    copyFileSync(join(dir, "edited.db"), join(dir, "edited-again.db"));
    const r = runCli(["audit", "verify"], { ...env, DATABASE_URL: join(dir, "edited-again.db") });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("audit log broken at row 3");
  });
});
