import { closeSync, copyFileSync, existsSync, mkdtempSync, openSync, readdirSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import type { Store } from "../../src/store/database.js";
import { type TestGateway, startTestGateway } from "../helpers/harness.js";
import { type PullerWorld, compareWithTruth, pullOnce, startPullerWorld } from "../helpers/puller-harness.js";
import { runCliAsync } from "../helpers/run-cli.js";
import { sqliteOnly } from "../helpers/raw-sql.js";

let world: PullerWorld | undefined;
let restored: TestGateway | undefined;
const dirs: string[] = [];
afterEach(async () => {
  await restored?.container.supplierConnections.closeAll();
  await restored?.close();
  await world?.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  world = undefined;
  restored = undefined;
});

// SQLite's online backup and its file: the store here is always SQLite's (the file is in the sqlite project only).
const count = (store: Store, sql: string): number => Number(sqliteOnly(store).connection.prepare(sql).pluck().get());

describe("backups (SQLite)", () => {
  it("a backup made during a drain, restored, lets the gateway resume without losing or doubling a message", { timeout: 180_000 }, async () => {
    // Slow pages, so the drain is still running when the CLI (its own process) makes the backup.
    world = await startPullerWorld({
      products: 300,
      invalidShare: 0.1,
      knobs: { endpoints: { messagePool: { latencyMs: 1_200 }, detail: { latencyMs: 15 } } },
    });
    const { gw, sim } = world;
    const dir = mkdtempSync(join(tmpdir(), "emall-backup-"));
    dirs.push(dir);
    const keyFile = join(dir, "master.key");
    copyFileSync(gw.config.DATA_ENCRYPTION_KEY_FILE, keyFile);
    const env = { DATABASE_URL: gw.config.DATABASE_URL, DATA_ENCRYPTION_KEY_FILE: keyFile };
    const backupFile = join(dir, "during-drain.db");

    let draining = true;
    let backup: ReturnType<typeof runCliAsync> | undefined;
    const drain = world.gw.container.sync.pull(world.code, "manual", (event) => {
      if (event.phase === "pull" && !backup) backup = runCliAsync(["backup", "create", "--to", backupFile, "--json"], env);
    });
    void drain.then(() => (draining = false));
    const made = await (async () => {
      while (!backup) await new Promise((r) => setTimeout(r, 10));
      return backup;
    })();
    const stillDrainingWhenDone = draining;
    expect(made.json).toMatchObject({ ok: true, backup: { file: backupFile } });
    expect(stillDrainingWhenDone).toBe(true);
    const first = await drain;
    expect(first.ran && first.summary.status).toBe("succeeded");

    // After the backup: more changes at the supplier, pulled and deleted from its pool.
    const { changes, products } = sim.sim;
    for (const p of products.all().slice(0, 20)) changes.apply("price", p, { priceFen: Math.max(1, p.mallPriceFen - 7) });
    for (let i = 0; i < 5; i++) changes.apply("add");
    const second = await pullOnce(world);
    expect(second.counts["6"]?.received).toBe(5);
    expect(await compareWithTruth(world)).toEqual([]);

    const live = sqliteOnly(gw.container.store);
    const liveCounts = {
      products: count(live, "SELECT COUNT(*) FROM products"),
      priceHistory: count(live, "SELECT COUNT(*) FROM price_history"),
      inbox: count(live, "SELECT COUNT(*) FROM message_inbox"),
    };
    const snapshot = new Database(backupFile, { readonly: true });
    const inBackup = Number(snapshot.prepare("SELECT COUNT(*) FROM message_inbox").pluck().get());
    const productsInBackup = Number(snapshot.prepare("SELECT COUNT(*) FROM products").pluck().get());
    snapshot.close();
    // The backup is a point inside the drain: fewer messages and products than the gateway ended with.
    expect(inBackup).toBeLessThan(liveCounts.inbox);
    expect(productsInBackup).toBeLessThan(liveCounts.products);

    const verified = await runCliAsync(["backup", "verify", backupFile, "--json"], env);
    expect(verified.status).toBe(0);
    expect(verified.json).toMatchObject({ ok: true, verdict: { ok: true, integrity: ["ok"], audit: { ok: true } } });
    const tables = (verified.json?.verdict as { tables: Array<{ table: string; backup: number; source: number }> }).tables;
    expect(tables.find((t) => t.table === "message_inbox")).toEqual({
      table: "message_inbox",
      backup: inBackup,
      source: liveCounts.inbox,
      difference: liveCounts.inbox - inBackup,
    });

    // The machine's database is replaced by the backup; the old file still reads, so the messages it
    // took from the pools after the backup are carried over.
    const oldDb = join(dir, "replaced.db");
    await live.connection.backup(oldDb);
    await gw.container.supplierConnections.closeAll();
    await gw.close();
    const restoredDb = join(dir, "restored.db");
    copyFileSync(backupFile, restoredDb);
    const restoredEnv = { DATABASE_URL: restoredDb, DATA_ENCRYPTION_KEY_FILE: keyFile };
    const settled = await runCliAsync(["backup", "after-restore", "--from", oldDb, "--json"], restoredEnv);
    expect(settled.status).toBe(0);
    // The drain's lease and its run were in the backup: released and closed, or the next run would wait.
    expect(settled.json).toMatchObject({
      ok: true,
      settled: { leases: 1, runsClosed: 1 },
      carried: { carried: liveCounts.inbox - inBackup, unknownSupplier: 0 },
    });

    restored = await startTestGateway({ ...restoredEnv, SCHEDULER_ENABLED: "false" });
    const resumedWorld: PullerWorld = { ...world, gw: restored };
    const resumed = await pullOnce(resumedWorld);
    expect(resumed.status).toBe("succeeded");
    expect(resumed.pendingInInbox).toBe(0);
    expect(await compareWithTruth(resumedWorld)).toEqual([]);
    const store = restored.container.store;
    expect(count(store, "SELECT COUNT(*) FROM products")).toBe(liveCounts.products);
    expect(count(store, "SELECT COUNT(*) FROM message_inbox")).toBe(liveCounts.inbox);
    // Re-applying re-reads the supplier: a price already stored adds no second history row. (A
    // product the backup caught before its first message was applied starts at today's price, so
    // the restored history can be shorter than the replaced one, never longer.)
    const doubledPrices =
      "SELECT COUNT(*) FROM (SELECT supplier_id, sku, price_fen, mall_price_fen FROM price_history GROUP BY 1, 2, 3, 4 HAVING COUNT(*) > 1)";
    expect(count(store, doubledPrices)).toBe(0);
    expect(count(store, "SELECT COUNT(*) FROM price_history")).toBeLessThanOrEqual(liveCounts.priceHistory);
    expect(count(store, "SELECT COUNT(*) FROM (SELECT supplier_id, sku FROM products GROUP BY supplier_id, sku HAVING COUNT(*) > 1)")).toBe(0);
    expect(sim.sim.pool.pending()).toBe(0);
  });
});

describe("backup verify", () => {
  it("refuses to overwrite, and fails on an edited audit row, a foreign database or a file that is not SQLite", { timeout: 120_000 }, async () => {
    restored = await startTestGateway();
    const { container, config } = restored;
    for (let i = 0; i < 3; i++) await container.admin.audit.record({ actor: "user:test", action: "test.action", target: `t${i}`, summary: {} });
    const dir = mkdtempSync(join(tmpdir(), "emall-verify-"));
    dirs.push(dir);
    const env = { DATABASE_URL: config.DATABASE_URL, DATA_ENCRYPTION_KEY_FILE: config.DATA_ENCRYPTION_KEY_FILE };
    const file = join(dir, "b.db");
    expect((await runCliAsync(["backup", "create", "--to", file, "--json"], env)).status).toBe(0);
    const again = await runCliAsync(["backup", "create", "--to", file, "--json"], env);
    expect(again.status).toBe(1);
    expect(again.json).toMatchObject({ ok: false, error: { kind: "exists" } });

    const good = await runCliAsync(["backup", "verify", file, "--json"], env);
    expect(good.json).toMatchObject({ ok: true, verdict: { sameSource: true, audit: { ok: true, rows: 3 } } });

    const edited = join(dir, "edited.db");
    copyFileSync(file, edited);
    const db = new Database(edited);
    db.prepare("UPDATE audit_log SET target = 'changed' WHERE id = 2").run();
    db.close();
    const broken = await runCliAsync(["backup", "verify", edited, "--json"], env);
    expect(broken.status).toBe(1);
    expect(JSON.stringify(broken.json)).toContain("audit chain broken at row 2");

    // Another gateway's database: its own audit chain, not this one's.
    const other = await startTestGateway();
    try {
      for (let i = 0; i < 3; i++) await other.container.admin.audit.record({ actor: "user:other", action: "other.action", target: null, summary: {} });
      // Under its own keys the backup's keyed chain does not verify at all.
      const otherKeys = await runCliAsync(["backup", "verify", file, "--json"], {
        DATABASE_URL: other.config.DATABASE_URL,
        DATA_ENCRYPTION_KEY_FILE: other.config.DATA_ENCRYPTION_KEY_FILE,
      });
      expect(otherKeys.status).toBe(1);
      expect(otherKeys.json).toMatchObject({ ok: false, verdict: { audit: { ok: false, brokenAt: 1 } } });
      // Sharing the audit key, the chain verifies but is not the start of the other database's.
      const sameKeys = await runCliAsync(["backup", "verify", file, "--json"], {
        DATABASE_URL: other.config.DATABASE_URL,
        DATA_ENCRYPTION_KEY_FILE: config.DATA_ENCRYPTION_KEY_FILE,
      });
      expect(sameKeys.status).toBe(1);
      expect(sameKeys.json).toMatchObject({ ok: false, verdict: { audit: { ok: true }, sameSource: false } });
    } finally {
      await other.close();
    }

    const junk = join(dir, "junk.db");
    writeFileSync(junk, "not a database at all, just some text that is long enough to have a header".repeat(20));
    const notSqlite = await runCliAsync(["backup", "verify", junk, "--json"], env);
    expect(notSqlite.status).toBe(1);
    expect(notSqlite.json).toMatchObject({ ok: false, error: { kind: "invalid" } });
  });
});

/** Two files a backup command must refuse as not the gateway's: an empty file and a SQLite database of someone else's tables. */
function notGatewayDatabases(dir: string): { empty: string; foreign: string } {
  const empty = join(dir, "empty.db");
  writeFileSync(empty, "");
  const foreign = join(dir, "foreign.db");
  const db = new Database(foreign);
  db.exec("CREATE TABLE t (x)");
  db.close();
  return { empty, foreign };
}
describe("backup commands on bad input", () => {
  /** A failure answered in the CLI's shape: the kind on the last JSON line, exit 1, no stack trace. */
  const expectFailure = (result: Awaited<ReturnType<typeof runCliAsync>>, kind: string) => {
    expect(result.json).toMatchObject({ ok: false, error: { kind } });
    expect(result.status).toBe(1);
    expect(result.stderr).not.toContain("    at ");
  };
  const setUp = async () => {
    restored = await startTestGateway();
    const dir = mkdtempSync(join(tmpdir(), "emall-backup-input-"));
    dirs.push(dir);
    const { config } = restored;
    return {
      dir,
      store: sqliteOnly(restored.container.store),
      env: { DATABASE_URL: config.DATABASE_URL, DATA_ENCRYPTION_KEY_FILE: config.DATA_ENCRYPTION_KEY_FILE },
    };
  };

  it("create refuses a file it cannot write, leaving nothing behind", { timeout: 120_000 }, async () => {
    const { dir, env } = await setUp();
    const aFile = join(dir, "a-file");
    writeFileSync(aFile, "");
    const targets = [join(dir, "missing", "b.db"), join(aFile, "b.db")];
    // As root no folder is read-only; /proc takes no new file from anyone.
    if (existsSync("/proc/self")) targets.push("/proc/emall-backup-test.db");
    for (const to of targets) {
      const result = await runCliAsync(["backup", "create", "--to", to, "--json"], env);
      expectFailure(result, "unwritable");
      expect((result.json?.error as { message: string }).message).toContain(to);
      expect(existsSync(to) || existsSync(`${to}.partial`)).toBe(false);
    }
    expect(readdirSync(dir)).toEqual(["a-file"]);
  });

  it("verify reports a backup too damaged to read as problems, not a crash", { timeout: 120_000 }, async () => {
    const { dir, store, env } = await setUp();
    const file = join(dir, "damaged.db");
    await store.connection.backup(file);
    // Twenty pages from 12 KB on overwritten with noise (a fixed sequence, so every run damages alike).
    const noise = Buffer.alloc(20 * 4096);
    for (let i = 0, x = 2463534242; i < noise.length; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      noise[i] = x & 0xff;
    }
    const fd = openSync(file, "r+");
    writeSync(fd, noise, 0, noise.length, 12 * 1024);
    closeSync(fd);
    const result = await runCliAsync(["backup", "verify", file, "--json"], env);
    expectFailure(result, "backup_invalid");
    const problems = (result.json?.verdict as { problems: string[] }).problems;
    expect(problems.some((p) => p.startsWith("cannot read "))).toBe(true);
  });

  it("verify refuses an empty file and a SQLite database that is not the gateway's", { timeout: 120_000 }, async () => {
    const { dir, env } = await setUp();
    const { empty, foreign } = notGatewayDatabases(dir);
    for (const file of [empty, foreign]) {
      const result = await runCliAsync(["backup", "verify", file, "--json"], env);
      expectFailure(result, "invalid");
      expect((result.json?.error as { message: string }).message).toContain(`${file} is not a gateway database`);
    }
  });

  it("after-restore refuses a --from that is not a gateway database before changing anything", { timeout: 120_000 }, async () => {
    const { dir, store, env } = await setUp();
    // A lease the command would release: still there after the refusal.
    store.connection.pragma("foreign_keys = OFF");
    store.connection.prepare("INSERT INTO sync_leases (supplier_id, holder, acquired_at, expires_at) VALUES (999, 'old-host:1:run', 0, 1)").run();
    store.connection.pragma("foreign_keys = ON");
    const { empty, foreign } = notGatewayDatabases(dir);
    const text = join(dir, "notes.txt");
    writeFileSync(text, "not a database at all, just some text that is long enough to have a header".repeat(20));
    for (const from of [empty, foreign, text]) {
      const result = await runCliAsync(["backup", "after-restore", "--from", from, "--json"], env);
      expectFailure(result, "invalid");
      expect((result.json?.error as { message: string }).message).toContain(from);
    }
    expect(count(store, "SELECT COUNT(*) FROM sync_leases")).toBe(1);
  });

  it("a DATABASE_URL naming no file is refused, not created as an empty database", { timeout: 120_000 }, async () => {
    const { dir, env } = await setUp();
    const backupFile = join(dir, "b.db");
    if (restored) await sqliteOnly(restored.container.store).connection.backup(backupFile);
    const mistyped = join(dir, "nosuch", "gateway.db");
    const mistypedEnv = { ...env, DATABASE_URL: mistyped };
    for (const args of [
      ["backup", "create", "--to", join(dir, "new.db")],
      ["backup", "verify", backupFile],
      ["backup", "after-restore"],
    ]) {
      const result = await runCliAsync([...args, "--json"], mistypedEnv);
      expectFailure(result, "not_found");
      expect((result.json?.error as { message: string }).message).toBe(`DATABASE_URL names no database: ${mistyped} does not exist`);
    }
    expect(readdirSync(dir).sort()).toEqual(["b.db"]);
  });
});
