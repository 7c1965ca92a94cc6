import { createHash, createHmac, randomBytes } from "node:crypto";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import Database from "better-sqlite3";
import { drizzle } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startAuditHeadLog } from "../../src/admin/audit-head-log.js";
import { canonicalJson } from "../../src/admin/audit-trail.js";
import { createLogger } from "../../src/lib/logger.js";
import { startTestGateway } from "../helpers/harness.js";
import { runCli } from "../helpers/run-cli.js";

type Row = {
  id: number;
  at: number;
  actor: string;
  role: string | null;
  action: string;
  target: string | null;
  outcome: string;
  summary_json: string;
  request_id: string | null;
  key_id: string | null;
  hash: string;
};

const content = (r: Row, keyId: string | null | undefined) =>
  canonicalJson({
    id: r.id,
    at: r.at,
    actor: r.actor,
    role: r.role,
    action: r.action,
    target: r.target,
    outcome: r.outcome,
    summary: r.summary_json,
    requestId: r.request_id,
    ...(keyId === undefined ? {} : { keyId }),
  });

/** Re-chains every row from `fromId` with `seal`, as someone holding only the database file could. */
function rechain(path: string, fromId: number, edit: string, seal: (prev: string, r: Row) => { hash: string; keyId: string | null }) {
  const db = new Database(path);
  db.exec(edit);
  const rows = db.prepare("SELECT * FROM audit_log ORDER BY id").all() as Row[];
  let prev = rows.find((r) => r.id === fromId - 1)?.hash ?? "0".repeat(64);
  for (const r of rows.filter((x) => x.id >= fromId)) {
    const { hash, keyId } = seal(prev, r);
    db.prepare("UPDATE audit_log SET prev_hash = ?, hash = ?, key_id = ? WHERE id = ?").run(prev, hash, keyId, r.id);
    prev = hash;
  }
  db.close();
}

const MIGRATIONS = join(import.meta.dirname, "../../src/store/migrations");

/** A database as the gateway left it before the audit chain was keyed: the migrations before it, SHA-256 rows. */
function legacyLog(path: string, actors: string[]) {
  const folder = mkdtempSync(join(tmpdir(), "emall-legacy-migrations-"));
  mkdirSync(join(folder, "meta"));
  const journal = JSON.parse(readFileSync(join(MIGRATIONS, "meta/_journal.json"), "utf8")) as { entries: Array<{ idx: number; tag: string }> };
  const keyed = journal.entries.findIndex((e) => e.tag.endsWith("_audit_key"));
  journal.entries = journal.entries.slice(0, keyed);
  writeFileSync(join(folder, "meta/_journal.json"), JSON.stringify(journal));
  for (const e of journal.entries) copyFileSync(join(MIGRATIONS, `${e.tag}.sql`), join(folder, `${e.tag}.sql`));
  const sqlite = new Database(path);
  migrate(drizzle(sqlite), { migrationsFolder: folder });
  let prev = "0".repeat(64);
  actors.forEach((actor, i) => {
    const row: Row = {
      id: i + 1,
      at: 1_700_000_000_000 + i,
      actor,
      role: "admin",
      action: "user.create",
      target: actor,
      outcome: "ok",
      summary_json: "{}",
      request_id: null,
      key_id: null,
      hash: "",
    };
    const { hash } = sha256Seal(prev, row);
    sqlite
      .prepare(
        "INSERT INTO audit_log (id, at, actor, role, action, target, outcome, summary_json, request_id, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
      )
      .run(row.id, row.at, row.actor, row.role, row.action, row.target, row.outcome, row.summary_json, row.request_id, prev, hash);
    prev = hash;
  });
  sqlite.close();
  rmSync(folder, { recursive: true, force: true });
}

const sha256Seal = (prev: string, r: Row) => ({
  hash: createHash("sha256")
    .update(`${prev}\n${content(r, undefined)}`)
    .digest("hex"),
  keyId: null,
});

describe("the audit chain is keyed (HMAC with a key outside the database)", () => {
  const dir = mkdtempSync(join(tmpdir(), "emall-audit-key-"));
  const K1 = randomBytes(32).toString("base64");
  const K2 = randomBytes(32).toString("base64");
  const base = { DATABASE_URL: join(dir, "log.db"), DATA_ENCRYPTION_KEY_FILE: join(dir, "master.key") };
  const withK1 = { ...base, AUDIT_KEY: K1, AUDIT_KEY_ID: "one" };
  const withK2 = { ...base, AUDIT_KEY: K2, AUDIT_KEY_ID: "two", AUDIT_PREVIOUS_KEYS: `one:${K1}` };
  const copy = (name: string) => {
    const path = join(dir, `${name}.db`);
    const db = new Database(base.DATABASE_URL);
    db.pragma("wal_checkpoint(TRUNCATE)");
    db.close();
    copyFileSync(base.DATABASE_URL, path);
    return path;
  };

  beforeAll(() => {
    for (const name of ["keyed1", "keyed2"]) {
      expect(
        runCli(["users", "create", "--username", name, "--role", "auditor", "--password-stdin", "--json"], withK1, "correct horse battery staple\n").json,
      ).toMatchObject({ ok: true });
    }
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("finds a chain edited and recomputed without the key, whether plain SHA-256 or HMAC under a guessed key", () => {
    const plain = copy("plain");
    rechain(plain, 2, "UPDATE audit_log SET actor = 'someone-else' WHERE id = 2", sha256Seal);
    const r1 = runCli(["audit", "verify", "--json"], { ...withK1, DATABASE_URL: plain });
    expect(r1.status).toBe(1);
    expect(r1.json).toMatchObject({ verdict: { ok: false, brokenAt: 2, rows: 1 } });

    const guessed = copy("guessed");
    const guess = randomBytes(32);
    rechain(guessed, 1, "UPDATE audit_log SET actor = 'someone-else' WHERE id = 2", (prev, r) => ({
      hash: createHmac("sha256", guess)
        .update(`${prev}\n${content(r, "one")}`)
        .digest("hex"),
      keyId: "one",
    }));
    const r2 = runCli(["audit", "verify", "--json"], { ...withK1, DATABASE_URL: guessed });
    expect(r2.status).toBe(1);
    expect(r2.json).toMatchObject({ verdict: { ok: false, brokenAt: 1 } });
  });

  it("rotates: rows name their key, older ones verify with AUDIT_PREVIOUS_KEYS, and not without them", () => {
    expect(runCli(["users", "role", "--username", "keyed1", "--role", "admin", "--json"], withK2).json).toMatchObject({ ok: true });
    const db = new Database(base.DATABASE_URL, { readonly: true });
    const keyIds = (db.prepare("SELECT key_id AS k FROM audit_log ORDER BY id").all() as Array<{ k: string }>).map((r) => r.k);
    db.close();
    expect(keyIds).toEqual(["one", "one", "two"]);
    expect(runCli(["audit", "verify", "--json"], withK2).json).toMatchObject({ ok: true, verdict: { ok: true, rows: 3 } });
    const without = runCli(["audit", "verify", "--json"], { ...base, AUDIT_KEY: K2, AUDIT_KEY_ID: "two" });
    expect(without.status).toBe(1);
    expect((without.json?.verdict as { reason: string }).reason).toContain("no audit key one");
  });

  it("keys a log written before keys exactly once, at the migration; unkeyed rows later are tampering", () => {
    const legacy = join(dir, "legacy.db");
    legacyLog(legacy, ["root", "buyer", "reader"]);
    const upgraded = runCli(["audit", "verify", "--json"], { ...withK2, DATABASE_URL: legacy });
    expect(upgraded.json).toMatchObject({ ok: true, verdict: { ok: true, rows: 3 } });

    rechain(legacy, 1, "SELECT 1", sha256Seal);
    const downgraded = runCli(["audit", "verify", "--json"], { ...withK2, DATABASE_URL: legacy });
    expect(downgraded.status).toBe(1);
    expect(downgraded.json).toMatchObject({ verdict: { ok: false, brokenAt: 1 } });
  });

  it("writes the chain head to the log as audit.head, at start and whenever it moves", async () => {
    const lines: Array<Record<string, unknown>> = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString().split("\n").filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    const gw = await startTestGateway();
    try {
      const audit = gw.container.admin.audit;
      await audit.record({ actor: "ops", action: "test.first" });
      const job = startAuditHeadLog(audit, createLogger({ level: "info", destination: sink }), 20);
      const deadline = Date.now() + 10_000;
      // The head is read asynchronously: the one at start is written before the chain moves on.
      while (lines.filter((l) => l.event === "audit.head").length < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      await audit.record({ actor: "ops", action: "test.second" });
      while (lines.filter((l) => l.event === "audit.head").length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      job.stop();
      const heads = lines.filter((l) => l.event === "audit.head");
      expect(heads.map((h) => h.id)).toEqual([1, 2]);
      const verdict = await audit.verify();
      expect(verdict.ok && verdict.head).toBe(heads[1]?.hash);
    } finally {
      await gw.close();
    }
  });
});
