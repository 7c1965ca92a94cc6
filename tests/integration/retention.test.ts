import { statSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { verifyBackup } from "../../src/ops/backup-verify.js";
import { auditKeysFromConfig } from "../../src/security/audit-keys.js";
import { backupStore } from "../../src/store/backup.js";
import { silentLogger } from "../../src/lib/logger.js";
import { createRetentionService } from "../../src/retention/retention-service.js";
import { RETENTION_CRON, startGatewayJobs } from "../../src/scheduling/gateway-jobs.js";
import { createRetentionRepo } from "../../src/store/repos/retention-repo.js";
import type { Container } from "../../src/container.js";
import { consoleLogin, getPage } from "../helpers/console-session.js";
import { type TestGateway, nextCreditCode, startTestGateway, testClock } from "../helpers/harness.js";
import { AREA, orderFile, startOrderRig } from "../helpers/order-rig.js";
import { orderableSkus } from "../helpers/order-products.js";
import { pullOnce, startPullerWorld } from "../helpers/puller-harness.js";
import { runCliAsync } from "../helpers/run-cli.js";
import { onPostgres } from "../helpers/test-database.js";
import { rawSql } from "../helpers/raw-sql.js";

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
/** 2026-06-15 12:00 Beijing time (04:00 UTC): a fixed "now" so Beijing day boundaries are known. */
const NOW = Date.UTC(2026, 5, 15, 4, 0, 0);
/** Epoch ms of `hh:mm` Beijing time, `daysAgo` Beijing days before NOW's day. */
const beijing = (daysAgo: number, hh: number, mm = 0) => Date.UTC(2026, 5, 15 - daysAgo, hh - 8, mm, 0);

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  vi.useRealTimers();
  for (const c of cleanups.splice(0)) await c();
});

const count = async (c: Container, sql: string, ...args: unknown[]) => Number(await rawSql(c.store).value(sql, ...args));

/** A sync run as the puller records it (repositories the puller uses), at a chosen time. */
async function recordRun(c: Container, supplierId: number, id: string, startedAt: number, finished: boolean, messages: number, calls: number) {
  const { syncRuns, messageLogs, callLogs } = c.repos;
  await syncRuns.startRun({ id, supplierId, trigger: "schedule", startedAt });
  await c.store.sql.transaction((tx) =>
    messageLogs.logMessages(
      Array.from({ length: messages }, (_, i) => ({
        runId: id,
        supplierId,
        messageId: `${id}-m${i}`,
        type: 2,
        sku: `SKU${i}`,
        outcome: "applied" as const,
        reasonsJson: "[]",
        durationMs: 2,
        callSeqsJson: "[1]",
        at: startedAt + i,
      })),
      tx,
    ),
  );
  await callLogs.logCalls(
    Array.from({ length: calls }, (_, i) => ({
      runId: id,
      seq: i + 1,
      operation: "prices",
      endpoint: "/api/price/getSellPrice",
      attempt: 1,
      startedAt: new Date(startedAt + i).toISOString(),
      durationMs: 4,
      outcome: "ok",
      errorCode: null,
      httpStatus: 200,
      batchSize: 1,
      subject: null,
      message: null,
    })),
  );
  if (finished) await syncRuns.finishRun(id, { status: "succeeded", endedAt: startedAt + 60_000, countsJson: "{}", callsMade: calls, errorsJson: "[]" });
}

/** A type-2 message stored from the pool at `at` (the inbox the puller writes). */
async function storeMessage(c: Container, supplierId: number, messageId: string, at: number) {
  await c.repos.inbox.storeMessages(
    supplierId,
    [{ messageId, type: 2, sku: `SKU-${messageId}`, state: null, payloadJson: "{}", messageTime: "2026-01-01 00:00:00" }],
    "run_store",
    at,
  );
  const row = await c.repos.inbox.inboxEntry(supplierId, messageId);
  if (!row) throw new Error("not stored");
  return row;
}

async function plainGateway(env: Record<string, string> = {}): Promise<{ gw: TestGateway; supplierId: number }> {
  const gw = await startTestGateway({ SCHEDULER_ENABLED: "false", ...env }, testClock(NOW));
  cleanups.push(() => gw.close());
  await gw.container.supplierAccounts.create({ code: "KEEP", name: "保留", creditCode: await nextCreditCode(), domains: ["a.example.cn"] });
  return { gw, supplierId: (await gw.container.repos.accounts.supplierByCode("KEEP"))?.id ?? -1 };
}

describe("retention keeps the store bounded (issue 13 §3.4)", () => {
  it("removes the sync log of finished runs past SYNC_LOG_RETENTION_DAYS and summaries past SYNC_RUN_RETENTION_DAYS; keeps running runs, pending and quarantined messages, open orders and the audit log", async () => {
    const clock = testClock(NOW - 200 * DAY_MS);
    const rig = await startOrderRig({ clock, sim: { products: 30, invalidShare: 0 } });
    cleanups.push(() => rig.close());
    const c = rig.gw.container;
    const sid = rig.supplier.id;
    // An open order placed 200 days ago: never pushed, still waiting.
    const sku = orderableSkus(rig.running.sim.exportTruth().products, AREA.province)[0]?.sku ?? "";
    const created = await c.orders.service.create(orderFile([{ sku }]), "user:test");
    if (!created.ok) throw created.error;
    const events = await count(c, "SELECT count(*) FROM order_events");

    clock.set(NOW);
    await recordRun(c, sid, "run_ancient", NOW - 400 * DAY_MS, true, 2, 1);
    await recordRun(c, sid, "run_old", NOW - 120 * DAY_MS, true, 3, 2);
    await recordRun(c, sid, "run_stuck", NOW - 120 * DAY_MS, false, 4, 3);
    await recordRun(c, sid, "run_recent", NOW - 10 * DAY_MS, true, 5, 4);
    const applied = await storeMessage(c, sid, "m-applied-old", NOW - 121 * DAY_MS);
    await c.store.sql.transaction((tx) => c.repos.inbox.settle(tx, [applied.seq], "applied", null, "run_old", NOW - 120 * DAY_MS));
    const rejected = await storeMessage(c, sid, "m-rejected-recent", NOW - 11 * DAY_MS);
    await c.store.sql.transaction((tx) => c.repos.inbox.settle(tx, [rejected.seq], "rejected", "5012", "run_recent", NOW - 10 * DAY_MS));
    await storeMessage(c, sid, "m-pending-old", NOW - 150 * DAY_MS);
    const poisoned = await storeMessage(c, sid, "m-quarantined-old", NOW - 150 * DAY_MS);
    expect(await c.repos.inbox.recordFailure(c.store.sql, poisoned, "detail: name empty", NOW, 1, "run_old", NOW - 149 * DAY_MS)).toBe("quarantined");
    // Wrong mall passwords: one from last month goes, one inside the lockout window stays.
    const account = await c.repos.accounts.accountOfSupplier(sid);
    if (!account) throw new Error("no mall account");
    expect((await c.repos.accounts.beginLoginAttempt(account.id, NOW - 30 * DAY_MS, 15 * 60_000, 5)).ok).toBe(true);
    expect((await c.repos.accounts.beginLoginAttempt(account.id, NOW - 60_000, 15 * 60_000, 5)).ok).toBe(true);
    const audit = await count(c, "SELECT count(*) FROM audit_log");

    const report = await c.retention.run();

    expect(report).toEqual({ runs: 1, messages: 2 + 3, calls: 1 + 2, inbox: 1, priceRows: 0, loginFailures: 1 });
    const logsOf = (run: string) => count(c, "SELECT count(*) FROM sync_message_logs WHERE run_id = ?", run);
    const callsOf = (run: string) => count(c, "SELECT count(*) FROM sync_calls WHERE run_id = ?", run);
    expect([await logsOf("run_ancient"), await logsOf("run_old"), await logsOf("run_stuck"), await logsOf("run_recent")]).toEqual([0, 0, 4, 5]);
    expect([await callsOf("run_ancient"), await callsOf("run_old"), await callsOf("run_stuck"), await callsOf("run_recent")]).toEqual([0, 0, 3, 4]);
    // Past the log window a finished run keeps its summary until SYNC_RUN_RETENTION_DAYS (365).
    expect(await c.repos.syncRuns.run("run_ancient")).toBeUndefined();
    expect((await c.repos.syncRuns.run("run_old"))?.status).toBe("succeeded");
    expect((await c.repos.syncRuns.run("run_stuck"))?.status).toBe("running");
    const inbox = async (id: string) => (await c.repos.inbox.inboxEntry(sid, id))?.status;
    expect([await inbox("m-applied-old"), await inbox("m-rejected-recent"), await inbox("m-pending-old"), await inbox("m-quarantined-old")]).toEqual([
      undefined,
      "rejected",
      "pending",
      "quarantined",
    ]);
    expect((await c.sync.quarantineEntries(rig.supplier.code)).map((q) => q.messageId)).toEqual(["m-quarantined-old"]);
    const open = await c.orders.service.show(created.value.yggc_order);
    expect(open.ok && open.value.state).toBe("created");
    expect(await count(c, "SELECT count(*) FROM order_events")).toBe(events);
    expect(await count(c, "SELECT count(*) FROM audit_log")).toBe(audit);
    expect((await c.admin.audit.verify()).ok).toBe(true);
    expect(await c.repos.accounts.loginFailuresSince(account.id, 0)).toBe(1);

    // Nothing left to do until time moves on.
    expect(await c.retention.run()).toEqual({ runs: 0, messages: 0, calls: 0, inbox: 0, priceRows: 0, loginFailures: 0 });
  }, 60_000);

  it("`sync prune` runs the same retention now, prints what it removed, and is audited", async () => {
    const gw = await startTestGateway({ SCHEDULER_ENABLED: "false" }, testClock(Date.now()));
    cleanups.push(() => gw.close());
    const c = gw.container;
    await recordRun(c, 1, "run_old", Date.now() - 120 * DAY_MS, true, 3, 2);
    await recordRun(c, 1, "run_recent", Date.now() - DAY_MS, true, 1, 1);
    const env = {
      DATABASE_URL: gw.config.DATABASE_URL,
      DATA_ENCRYPTION_KEY_FILE: gw.config.DATA_ENCRYPTION_KEY_FILE,
      CONFORMANCE_REPORT_DIR: gw.config.CONFORMANCE_REPORT_DIR,
      NODE_ENV: "test",
    };
    const out = await runCliAsync(["sync", "prune", "--json"], env);
    expect(out.status, out.stderr).toBe(0);
    expect(out.json).toMatchObject({ ok: true, removed: { runs: 0, messages: 3, calls: 2, inbox: 0, priceRows: 0, loginFailures: 0 } });
    expect(await count(c, "SELECT count(*) FROM sync_message_logs")).toBe(1);
    expect((await c.admin.audit.verify()).ok).toBe(true);
    expect(await count(c, "SELECT count(*) FROM audit_log WHERE action = 'sync.prune' AND outcome = 'ok'")).toBe(1);
  }, 90_000);

  it("refuses a log retention the console's charts cannot live with, and summaries kept shorter than their logs", async () => {
    const { loadConfig } = await import("../../src/config/config.js");
    expect(() => loadConfig({ SYNC_LOG_RETENTION_DAYS: "3" })).toThrow(/SYNC_LOG_RETENTION_DAYS: at least 7/);
    expect(() => loadConfig({ SYNC_LOG_RETENTION_DAYS: "120", SYNC_RUN_RETENTION_DAYS: "100" })).toThrow(
      /SYNC_RUN_RETENTION_DAYS: must be at least SYNC_LOG_RETENTION_DAYS/,
    );
  });

  it("compacts price history past PRICE_HISTORY_FULL_DAYS to the last price of each sku and Beijing day, and past PRICE_HISTORY_DAILY_DAYS more to one per month, with the period's range, in chunks; the recent window stays whole", async () => {
    const { gw, supplierId } = await plainGateway();
    const c = gw.container;
    const change = (sku: string, priceFen: number, at: number) => ({ supplierId, sku, priceFen, mallPriceFen: priceFen + 500, at, runId: `run_${at}` });
    const history = [
      // 100 days ago: three changes of A, the last at 23:30 Beijing (15:30 UTC, still that Beijing day).
      change("A", 1_000, beijing(100, 9)),
      change("A", 900, beijing(100, 12)),
      change("A", 950, beijing(100, 23, 30)),
      // 00:30 Beijing the next day is another day, though the same UTC date as the 23:30 change.
      change("A", 970, beijing(99, 0, 30)),
      change("B", 2_000, beijing(100, 10)),
      change("B", 2_100, beijing(100, 11)),
      // Inside the 90-day window: every change stays.
      change("A", 800, beijing(80, 8)),
      change("A", 820, beijing(80, 9)),
      change("A", 810, beijing(80, 10)),
      // Past 90 + PRICE_HISTORY_DAILY_DAYS (90) days, whole Beijing months: November 2025 becomes one row.
      change("C", 500, Date.UTC(2025, 10, 3, 1)),
      change("C", 520, Date.UTC(2025, 10, 3, 7)),
      change("C", 480, Date.UTC(2025, 10, 20, 2)),
      change("C", 510, Date.UTC(2025, 10, 30, 15)),
      // 00:30 on 1 December Beijing time (still 30 November in UTC) is in the month that keeps its days.
      change("C", 530, Date.UTC(2025, 10, 30, 16, 30)),
    ];
    await c.store.sql.transaction((tx) => c.repos.products.saveProducts(tx, [], history));
    const retention = createRetentionService({
      repo: createRetentionRepo(c.store.sql),
      config: c.config,
      clock: gw.clock.now,
      logger: silentLogger(),
      chunkRows: 2,
    });

    // SQLite's online backup; a PostgreSQL store is backed up by the server's own tools.
    const backup = onPostgres ? null : join(gw.dir, "before-compaction.db");
    if (backup) await backupStore(c.store, backup);

    expect((await retention.run()).priceRows).toBe(2 + 1 + 3);
    if (backup) {
      // A backup from before compaction still verifies against the compacted store.
      const verdict = await verifyBackup(backup, c.store, auditKeysFromConfig(c.config, c.keys));
      expect(verdict.problems).toEqual([]);
      expect(verdict.tables.find((t) => t.table === "price_history")?.difference).toBe(-6);
    }
    const rows = async (sku: string) =>
      (await c.repos.products.priceHistoryOf(supplierId, sku)).map((h) => [h.at, h.priceFen, h.mallPriceFen, h.minPriceFen, h.maxPriceFen]);
    expect(await rows("A")).toEqual([
      [beijing(100, 23, 30), 950, 1_450, 900, 1_000],
      [beijing(99, 0, 30), 970, 1_470, null, null],
      [beijing(80, 8), 800, 1_300, null, null],
      [beijing(80, 9), 820, 1_320, null, null],
      [beijing(80, 10), 810, 1_310, null, null],
    ]);
    expect(await rows("B")).toEqual([[beijing(100, 11), 2_100, 2_600, 2_000, 2_100]]);
    expect(await rows("C")).toEqual([
      [Date.UTC(2025, 10, 30, 15), 510, 1_010, 480, 520],
      [Date.UTC(2025, 10, 30, 16, 30), 530, 1_030, null, null],
    ]);
    expect((await retention.run()).priceRows).toBe(0);

    // Eleven days on, the day 80 days back has left the window: it is compacted on the next run.
    gw.clock.advance(11 * DAY_MS);
    expect((await retention.run()).priceRows).toBe(2);
    expect((await rows("A")).slice(2)).toEqual([[beijing(80, 10), 810, 1_310, 800, 820]]);
    expect((await rows("A")).slice(0, 2)).toEqual([
      [beijing(100, 23, 30), 950, 1_450, 900, 1_000],
      [beijing(99, 0, 30), 970, 1_470, null, null],
    ]);
  });

  it("the product page still draws its price chart from compacted history", async () => {
    const clock = testClock(NOW - 100 * DAY_MS);
    const world = await startPullerWorld({ products: 6, invalidShare: 0 }, {}, clock);
    cleanups.push(() => world.close());
    const c = world.gw.container;
    await pullOnce(world);
    const { changes, products } = world.sim.sim;
    const p = products.all()[0];
    if (!p) throw new Error("no product");
    // Three price changes within one Beijing day, 100 days ago, each read by a real pull.
    for (const [i, priceFen] of [p.mallPriceFen - 300, p.mallPriceFen - 100, p.mallPriceFen - 200].entries()) {
      clock.set(NOW - 100 * DAY_MS + (i + 1) * HOUR_MS);
      changes.apply("price", p, { priceFen, mallPriceFen: p.mallPriceFen });
      expect((await pullOnce(world)).counts["2"]?.applied).toBe(1);
    }
    const before = await c.repos.products.priceHistoryOf(world.supplierId, p.sku);
    expect(before.length).toBeGreaterThanOrEqual(4);
    clock.set(NOW);
    const report = await c.retention.run();
    expect(report.priceRows).toBe(before.length - 1);
    const after = await c.repos.products.priceHistoryOf(world.supplierId, p.sku);
    expect(after).toHaveLength(1);
    expect(after[0]?.priceFen).toBe(p.mallPriceFen - 200);
    expect([after[0]?.minPriceFen, after[0]?.maxPriceFen]).toEqual([Math.min(...before.map((h) => h.priceFen)), Math.max(...before.map((h) => h.priceFen))]);

    await c.admin.users.create({ username: "admin", role: "admin", password: "correct horse battery staple" });
    const session = await consoleLogin(world.gw.url, "admin", "correct horse battery staple");
    const res = await getPage(world.gw.url, session, `/admin/products/${world.code}/${p.sku}`);
    expect(res.status).toBe(200);
    const page = await res.text();
    expect(page).toContain("协议价与商城价（元）");
    expect(page).toMatch(/<svg[^>]*>[\s\S]*协议价/);
    expect(page).toContain("价格历史明细（1 条）");
    expect(page).toContain(`${((after[0]?.minPriceFen ?? 0) / 100).toFixed(2)}–${((after[0]?.maxPriceFen ?? 0) / 100).toFixed(2)}</td>`);
  }, 90_000);

  it("measures the store's size on its own database: SQLite's file once the WAL is folded in, PostgreSQL's database", async () => {
    const { gw } = await plainGateway();
    const size = await gw.container.retention.storeSize();
    if (onPostgres) {
      expect(size.bytes).toBeGreaterThan(0);
      expect(size.freeBytes).toBe(0);
      return;
    }
    expect(size.bytes).toBe(statSync(gw.config.DATABASE_URL).size);
    expect(size.freeBytes).toBeGreaterThanOrEqual(0);
    expect(size.freeBytes).toBeLessThan(size.bytes);
  });

  it("runs once a day at 03:17 Beijing time from the gateway's schedule", async () => {
    const { gw, supplierId } = await plainGateway();
    const c = gw.container;
    await recordRun(c, supplierId, "run_old", NOW - 120 * DAY_MS, true, 3, 1);
    const logs = () => count(c, "SELECT count(*) FROM sync_message_logs");
    expect(RETENTION_CRON).toBe("17 3 * * *");
    // Wall time just before 03:17 Beijing (19:17 UTC the day before); the scheduler reads wall time.
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "Date"], now: Date.UTC(2026, 5, 14, 19, 16, 50) });
    const jobs = startGatewayJobs(c);
    cleanups.push(() => jobs.stop());
    await vi.advanceTimersByTimeAsync(9_000);
    expect(await logs()).toBe(3);
    await vi.advanceTimersByTimeAsync(2_000);
    // The job yields between chunks with setImmediate, which runs on real time.
    for (let i = 0; i < 1_000 && (await logs()) > 0; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(await logs()).toBe(0);
  });
});
