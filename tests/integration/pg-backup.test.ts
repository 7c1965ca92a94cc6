import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openPgStore } from "../../src/store/database.js";
import { conflictOnce } from "../helpers/failing-writes.js";
import { nextCreditCode } from "../helpers/harness.js";
import { type PgCluster, databaseUrl, pgBinDir, startPgCluster } from "../helpers/pg-cluster.js";
import { runCli } from "../helpers/run-cli.js";

/**
 * Backups with DATABASE_URL on PostgreSQL: `backup create` and `backup verify` (SQLite's backup API
 * and integrity_check) refuse in one line that says what to use instead; `backup after-restore` runs
 * after a pg_dump / pg_restore as it does after a SQLite copy, and carries over the inbox messages
 * the replaced database (renamed aside) took from the pools after the dump.
 */
let cluster: PgCluster;
let dir: string;
let env: Record<string, string>;

async function sql<T extends pg.QueryResultRow = Record<string, unknown>>(database: string, text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: databaseUrl(cluster.socketDir, database) });
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}

/** pg_dump / pg_restore of the cluster's own version, over its socket. */
function pgTool(tool: "pg_dump" | "pg_restore", args: string[]): void {
  execFileSync(join(pgBinDir() ?? "", tool), ["-h", cluster.socketDir, "-U", "postgres", ...args], { stdio: "pipe" });
}

beforeAll(async () => {
  cluster = await startPgCluster();
  dir = mkdtempSync(join(tmpdir(), "emall-pg-backup-"));
  env = { DATABASE_URL: cluster.url, DATA_ENCRYPTION_KEY_FILE: join(dir, "master.key"), NODE_ENV: "test" };
  const created = runCli(
    ["supplier", "create", "--code", "SIM", "--name", "参考电商", "--credit-code", await nextCreditCode(), "--domain", "sim.example", "--json"],
    env,
  );
  expect(created.json, created.stderr).toMatchObject({ ok: true });
}, 120_000);
afterAll(async () => {
  await cluster?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("backup create and verify on PostgreSQL", () => {
  it("create refuses in one line naming pg_dump and base backups, and writes no file", () => {
    const file = join(dir, "never.db");
    const run = runCli(["backup", "create", "--to", file, "--json"], env);
    expect(run.status).toBe(1);
    expect(run.json).toEqual({
      ok: false,
      error: {
        kind: "unsupported",
        message: expect.stringMatching(
          /^backup create makes and checks SQLite backups only; DATABASE_URL is PostgreSQL: back it up with pg_dump -Fc, or pg_basebackup with WAL archiving; after restoring, run `npm run cli -- backup after-restore`/,
        ),
      },
    });
    expect(run.stderr).toBe("");
    expect(existsSync(file)).toBe(false);
    expect(existsSync(`${file}.partial`)).toBe(false);

    const human = runCli(["backup", "create", "--to", file], env);
    expect(human.status).toBe(1);
    expect(human.stderr.trim().split("\n")).toEqual([expect.stringMatching(/^error: backup create makes and checks SQLite backups only; .*pg_dump/)]);
  });

  it("verify refuses the same way, before looking at the file", () => {
    const run = runCli(["backup", "verify", join(dir, "absent.db"), "--json"], env);
    expect(run.status).toBe(1);
    expect(run.json).toEqual({
      ok: false,
      error: { kind: "unsupported", message: expect.stringMatching(/^backup verify makes and checks SQLite backups only; .*pg_dump -Fc/) },
    });
    expect(run.stderr).toBe("");
  });
});

describe("backup after-restore on PostgreSQL", () => {
  it("after pg_restore: releases the leases and call slots, closes the run caught mid-way, and carries over the messages the replaced database took after the dump", async () => {
    const [supplier] = await sql<{ id: number }>("gateway", "SELECT id FROM suppliers WHERE code = 'SIM'");
    const supplierId = supplier?.id ?? -1;
    const now = Date.now();
    const inbox = (ids: string[]) =>
      sql(
        "gateway",
        "INSERT INTO message_inbox (supplier_id, message_id, type, sku, payload_json, message_time, status, next_attempt_at, received_at) SELECT $1, id, 2, 'SKU-' || id, '{}', '2026-11-26 10:00:00', 'applied', $2, $2 FROM unnest($3::text[]) AS id",
        [supplierId, now, ids],
      );
    // What the dump catches: a run in progress with its lease, a held call slot, two messages.
    await sql("gateway", "INSERT INTO sync_runs (id, supplier_id, trigger, status, started_at) VALUES ('run_caught', $1, 'schedule', 'running', $2)", [
      supplierId,
      now,
    ]);
    await sql(
      "gateway",
      "INSERT INTO sync_leases (supplier_id, holder, run_id, acquired_at, expires_at) VALUES ($1, 'old-host:1:run_caught', 'run_caught', $2, $3)",
      [supplierId, now, now + 600_000],
    );
    await sql("gateway", "INSERT INTO supplier_call_slots (supplier_id, slot, holder, lease_until) VALUES ($1, 0, 'old-host:1', $2), ($1, 1, NULL, 0)", [
      supplierId,
      now + 600_000,
    ]);
    await inbox(["m1", "m2"]);
    const dump = join(dir, "gateway.dump");
    pgTool("pg_dump", ["-Fc", "-f", dump, "gateway"]);

    // After the dump the old gateway took two more messages from the pool (gone from it now).
    await inbox(["m3", "m4"]);

    // The restore of docs/operations/backups.md: the old database renamed aside, the dump restored under the gateway's name.
    await sql("postgres", "ALTER DATABASE gateway RENAME TO gateway_replaced");
    await sql("postgres", "CREATE DATABASE gateway");
    pgTool("pg_restore", ["-d", "gateway", dump]);
    expect((await sql("gateway", "SELECT message_id FROM message_inbox ORDER BY message_id")).map((r) => r.message_id)).toEqual(["m1", "m2"]);

    // The password never shows: not in the answer, not in the audit row (trust auth ignores it).
    const replaced = databaseUrl(cluster.socketDir, "gateway_replaced").replace("postgres@", "postgres:s3cret-pw@");
    const run = runCli(["backup", "after-restore", "--from", replaced, "--json"], env);
    expect(run.json, run.stderr).toEqual({
      ok: true,
      settled: { leases: 1, orderLeases: 0, callSlots: 1, runsClosed: 1 },
      carried: { from: expect.stringContaining("postgres:***@localhost/gateway_replaced"), carried: 2, known: 2, unknownSupplier: 0 },
    });
    expect(run.stdout + run.stderr).not.toContain("s3cret-pw");

    expect(await sql("gateway", "SELECT COUNT(*)::int AS n FROM sync_leases")).toEqual([{ n: 0 }]);
    expect(await sql("gateway", "SELECT slot, holder, lease_until FROM supplier_call_slots ORDER BY slot")).toEqual([
      { slot: 0, holder: null, lease_until: "0" },
      { slot: 1, holder: null, lease_until: "0" },
    ]);
    const [run0] = await sql<{ status: string; ended_at: string | null; errors_json: string }>(
      "gateway",
      "SELECT status, ended_at, errors_json FROM sync_runs WHERE id = 'run_caught'",
    );
    expect(run0?.status).toBe("partial");
    expect(run0?.ended_at).not.toBeNull();
    expect(JSON.parse(run0?.errors_json ?? "[]")).toEqual([expect.objectContaining({ kind: "restore" })]);
    expect(await sql("gateway", "SELECT message_id, status FROM message_inbox ORDER BY message_id")).toEqual([
      { message_id: "m1", status: "applied" },
      { message_id: "m2", status: "applied" },
      { message_id: "m3", status: "pending" },
      { message_id: "m4", status: "pending" },
    ]);
    const [audit] = await sql<{ target: string | null; outcome: string }>(
      "gateway",
      "SELECT target, outcome FROM audit_log WHERE action = 'backup.after_restore'",
    );
    expect(audit?.target).toContain("gateway_replaced");
    expect(audit?.target).not.toContain("s3cret-pw");

    // Run again: nothing left to release, and every message is known.
    const again = runCli(["backup", "after-restore", "--from", replaced, "--json"], env);
    expect(again.json).toMatchObject({ ok: true, settled: { leases: 0, callSlots: 0, runsClosed: 0 }, carried: { carried: 0, known: 4 } });
  }, 120_000);

  it("names a replaced database that cannot be read, without its password, and changes nothing", async () => {
    const [supplier] = await sql<{ id: number }>("gateway", "SELECT id FROM suppliers WHERE code = 'SIM'");
    await sql("gateway", "INSERT INTO sync_leases (supplier_id, holder, acquired_at, expires_at) VALUES ($1, 'old-host:2:run_x', 0, 1)", [supplier?.id]);
    const missing = databaseUrl(cluster.socketDir, "no_such_db").replace("postgres@", "postgres:s3cret-pw@");
    const run = runCli(["backup", "after-restore", "--from", missing, "--json"], env);
    expect(run.status).toBe(1);
    expect(run.json).toEqual({
      ok: false,
      error: {
        kind: "not_found",
        message: expect.stringMatching(/postgres:\*\*\*@localhost\/no_such_db\S* cannot be read: database "no_such_db" does not exist$/),
      },
    });
    expect(run.stdout + run.stderr).not.toContain("s3cret-pw");
    expect(await sql("gateway", "SELECT holder FROM sync_leases")).toEqual([{ holder: "old-host:2:run_x" }]);
  });

  it("carries every message over when its transaction loses a serialization race and runs again, and counts that run alone", async () => {
    const [supplier] = await sql<{ id: number }>("gateway", "SELECT id FROM suppliers WHERE code = 'SIM'");
    const supplierId = supplier?.id ?? -1;
    const now = Date.now();
    const insert = (database: string, ids: string[]) =>
      sql(
        database,
        "INSERT INTO message_inbox (supplier_id, message_id, type, sku, payload_json, message_time, status, next_attempt_at, received_at) SELECT $1, id, 2, 'SKU-' || id, '{}', '2026-11-26 10:00:00', 'applied', $2, $2 FROM unnest($3::text[]) AS id",
        [supplierId, now, ids],
      );
    // The replaced database, in seq order: one message the restored one knows, then three it does not.
    await insert("gateway", ["r-known"]);
    await sql("postgres", "CREATE DATABASE gateway_raced TEMPLATE gateway");
    await sql("gateway_raced", "DELETE FROM message_inbox WHERE message_id != 'r-known'");
    await insert("gateway_raced", ["r-1", "r-2", "r-3"]);

    // The third insert (r-2) fails once, after r-known was found known and r-1 carried.
    const store = await openPgStore(cluster.url);
    const conflict = await conflictOnce(store, "message_inbox", 3);
    try {
      const run = runCli(["backup", "after-restore", "--from", databaseUrl(cluster.socketDir, "gateway_raced"), "--json"], env);
      expect(run.json, run.stderr).toMatchObject({ ok: true, carried: { carried: 3, known: 1, unknownSupplier: 0 } });
    } finally {
      await conflict.restore();
      store.close();
    }
    const carried = await sql("gateway", "SELECT message_id, status FROM message_inbox WHERE message_id LIKE 'r-%' ORDER BY message_id");
    expect(carried).toEqual([
      { message_id: "r-1", status: "pending" },
      { message_id: "r-2", status: "pending" },
      { message_id: "r-3", status: "pending" },
      { message_id: "r-known", status: "applied" },
    ]);
  }, 120_000);
});
