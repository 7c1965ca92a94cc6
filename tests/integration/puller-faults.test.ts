import { afterEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/config.js";
import { createContainer } from "../../src/container.js";
import { silentLogger } from "../../src/lib/logger.js";
import { conflictOnce, failInserts } from "../helpers/failing-writes.js";
import { type PullerWorld, compareWithTruth, pullOnce, startPullerWorld } from "../helpers/puller-harness.js";
import { rawSql } from "../helpers/raw-sql.js";
import { onPostgres } from "../helpers/test-database.js";
import { waitFor } from "../helpers/wait.js";

let world: PullerWorld | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

const pull = pullOnce;

const count = async (w: PullerWorld, sql: string, ...params: unknown[]): Promise<number> => Number(await rawSql(w.gw.container.store).value(sql, ...params));

/** Message ids whose effect was recorded more than once (applied, rejected or skipped). */
const settledTwice = async (w: PullerWorld): Promise<string[]> =>
  (
    await rawSql(w.gw.container.store).all<{ message_id: string }>(
      "SELECT message_id FROM sync_message_logs WHERE outcome IN ('applied','rejected','skipped') GROUP BY message_id HAVING count(*) > 1",
    )
  ).map((r) => r.message_id);

const priceHistoryRows = (w: PullerWorld) => count(w, "SELECT count(*) FROM price_history");

/** Above the backoff of any attempt the puller settings allow (30 s × 2^4 × 1.2 ≈ 9.6 min). */
const PAST_ANY_BACKOFF_MS = 15 * 60_000;

describe("the puller under faults (§6: store, then delete; never lose, never double-apply)", () => {
  it("re-deletes a stored page whose S-3 failed, without applying it again", async () => {
    world = await startPullerWorld({ products: 40, invalidShare: 0 });
    await pull(world);
    const { changes, products, pool, knobs } = world.sim.sim;
    const all = products.all();
    for (let i = 0; i < 30; i++) {
      const p = all[i % 20];
      if (p) changes.apply("price", p);
    }
    expect(pool.pending(2)).toBe(30);

    // Every attempt of the delete fails before the supplier does anything: the page stays in its pool.
    knobs.inject("messageDelete", "http-5xx", 4);
    const first = await pull(world);
    expect(first.status).toBe("partial");
    expect(first.errors[0]).toMatchObject({ kind: "http" });
    // 30 price messages of 20 skus: each sku's newest applied, the 10 it replaced settled as skipped on arrival.
    expect(first.counts["2"]).toMatchObject({ applied: 20, skipped: 10 });
    expect(pool.pending(2)).toBe(30);
    const storeAfterApply = await world.gw.container.repos.products.list(world.supplierId);
    const historyAfterApply = await priceHistoryRows(world);
    expect(await count(world, "SELECT count(*) FROM message_inbox WHERE deleted_at IS NULL")).toBe(30);

    // The leftovers delete fails too, so the supplier serves the same page again: stored as known, deleted.
    knobs.inject("messageDelete", "http-5xx", 4);
    const second = await pull(world);
    expect(second.counts["2"]?.received).toBe(30);
    expect(second.counts["2"]?.applied ?? 0).toBe(0);
    expect(second.callsByOperation.prices ?? 0).toBe(0);
    expect(pool.pending()).toBe(0);
    expect(await count(world, "SELECT count(*) FROM message_inbox WHERE deleted_at IS NULL")).toBe(0);
    expect(await world.gw.container.repos.products.list(world.supplierId)).toEqual(storeAfterApply);
    expect(await priceHistoryRows(world)).toBe(historyAfterApply);
    expect(await settledTwice(world)).toEqual([]);
    expect(await compareWithTruth(world)).toEqual([]);
  });

  it("deletes again after the supplier deleted but the answer was lost (drop-after-work)", async () => {
    world = await startPullerWorld({ products: 25, invalidShare: 0 });
    const { knobs, pool } = world.sim.sim;
    // The first attempt does the delete; every answer is cut, so the gateway cannot know.
    knobs.inject("messageDelete", "drop-after-work", 4);
    const first = await pull(world);
    expect(first.status).toBe("partial");
    expect(pool.pending()).toBe(0);
    expect(await count(world, "SELECT count(*) FROM message_inbox WHERE deleted_at IS NULL")).toBe(25);
    const stored = await world.gw.container.repos.products.list(world.supplierId);
    const history = await priceHistoryRows(world);

    const second = await pull(world);
    expect(second.status).toBe("succeeded");
    expect(second.callsByOperation.messageDelete).toBe(1);
    expect(await count(world, "SELECT count(*) FROM message_inbox WHERE deleted_at IS NULL")).toBe(0);
    expect(await world.gw.container.repos.products.list(world.supplierId)).toEqual(stored);
    expect(await priceHistoryRows(world)).toBe(history);
    expect(await settledTwice(world)).toEqual([]);
    expect(await compareWithTruth(world)).toEqual([]);
  });

  it("re-accepts a product whose image or promise defect the supplier fixed and announced with type 16", async () => {
    world = await startPullerWorld({ products: 12, invalidShare: 0 });
    const { changes, products } = world.sim.sim;
    const [p] = products.all();
    if (!p) throw new Error("too few products");
    changes.apply("break", p, undefined, "bad-image-format");
    await pull(world);
    expect((await world.gw.container.repos.products.bySku(world.supplierId, p.sku))?.status).toBe("rejected");
    // §6: "the supplier fixes it and sends type 16" — the fix here is in S-9, which S-4 + S-5 do not show.
    changes.apply("fix", p);
    expect(world.sim.sim.pool.pending(16)).toBe(1);
    await pull(world);
    expect((await world.gw.container.repos.products.bySku(world.supplierId, p.sku))?.status).toBe("active");
    expect(await compareWithTruth(world)).toEqual([]);
  });

  it("leaves the messages in the supplier's pool when the inbox cannot be written, and drains them once it can", async () => {
    world = await startPullerWorld({ products: 30, invalidShare: 0.1 });
    const diskFull = await failInserts(world.gw.container.store, "message_inbox", "disk full");
    const failed = await pull(world);
    expect(failed.status).toBe("failed");
    expect(failed.errors.at(-1)?.message).toContain("disk full");
    expect(failed.callsByOperation.messageDelete ?? 0).toBe(0);
    expect(world.sim.sim.pool.pending(6)).toBe(30);
    expect(await count(world, "SELECT count(*) FROM message_inbox")).toBe(0);
    expect((await world.gw.container.sync.runs({ supplier: world.code, limit: 1 }))[0]).toMatchObject({ id: failed.runId, status: "failed" });

    await diskFull.restore();
    const next = await pull(world);
    expect(next.status).toBe("succeeded");
    expect(world.sim.sim.pool.pending()).toBe(0);
    expect(await compareWithTruth(world)).toEqual([]);
  });

  it("keeps stored messages pending when the product write fails, and applies each exactly once later", async () => {
    world = await startPullerWorld({ products: 30, invalidShare: 0.1 });
    const diskFull = await failInserts(world.gw.container.store, "products", "disk full");
    const failed = await pull(world);
    expect(failed.status).toBe("failed");
    // Stored, then deleted from the pool: the inbox is the only copy now, and it holds them all.
    expect(world.sim.sim.pool.pending()).toBe(0);
    expect(failed.pendingInInbox).toBe(30);
    expect(await count(world, "SELECT count(*) FROM sync_message_logs")).toBe(0);
    expect(await world.gw.container.repos.products.list(world.supplierId)).toHaveLength(0);

    await diskFull.restore();
    const next = await pull(world);
    expect(next.status).toBe("succeeded");
    expect(next.pendingInInbox).toBe(0);
    expect(await count(world, "SELECT count(DISTINCT message_id) FROM sync_message_logs")).toBe(30);
    expect(await settledTwice(world)).toEqual([]);
    expect(await compareWithTruth(world)).toEqual([]);
  });

  // PostgreSQL runs a transaction that lost to another writer again from the start (SERIALIZABLE).
  it.runIf(onPostgres)("records each message once when a chunk's commit is run again after a serialization failure", async () => {
    world = await startPullerWorld({ products: 30, invalidShare: 0.1 });
    // The third log row of the first chunk fails: the whole chunk commits again.
    const conflict = await conflictOnce(world.gw.container.store, "sync_message_logs", 3);
    const summary = await pull(world);
    await conflict.restore();
    expect(summary.status).toBe("succeeded");
    expect((summary.counts["6"]?.applied ?? 0) + (summary.counts["6"]?.rejected ?? 0)).toBe(30);
    expect(await count(world, "SELECT count(*) FROM sync_message_logs")).toBe(30);
    expect(await settledTwice(world)).toEqual([]);
    expect(summary.pendingInInbox).toBe(0);
    expect(await compareWithTruth(world)).toEqual([]);
  });

  it("backs off a poison message, quarantines it after PULL_MAX_ATTEMPTS while the rest drains, and replays it once fixed", async () => {
    world = await startPullerWorld({ products: 30, invalidShare: 0 }, { PULL_MAX_ATTEMPTS: "3" });
    const { gw, sim, code } = world;
    const poison = sim.sim.products.all()[7];
    if (!poison) throw new Error("too few products");
    // S-4 answers a detail that breaks the contract (empty name) for this sku only: never stored.
    const goodName = poison.detail.name;
    poison.detail = { ...poison.detail, name: "" };
    const messageId = sim.sim.pool.all().find((m) => m.type === 6 && m.result.skuId === poison.sku)?.id ?? "";

    const first = await pull(world);
    expect(first.counts["6"]).toMatchObject({ received: 30, applied: 29, failed: 1 });
    expect(sim.sim.pool.pending()).toBe(0);
    expect(first.pendingInInbox).toBe(1);
    const entry = () => gw.container.repos.inbox.inboxEntry(world?.supplierId ?? -1, messageId);
    expect(await entry()).toMatchObject({ status: "pending", attempts: 1 });
    expect((await entry())?.lastError).toContain("contract");
    const firstRetryAt = (await entry())?.nextAttemptAt ?? 0;
    // retryBaseMs 30 s with ±20 % jitter.
    expect(firstRetryAt - gw.clock.now()).toBeGreaterThanOrEqual(24_000);
    expect(firstRetryAt - gw.clock.now()).toBeLessThanOrEqual(36_000);

    // Not due yet: a run leaves it alone and calls nothing for it.
    const early = await pull(world);
    expect(early.callsByOperation.detail ?? 0).toBe(0);
    expect(early.pendingInInbox).toBe(1);

    gw.clock.advance(40_000);
    const second = await pull(world);
    expect(second.counts["6"]).toMatchObject({ failed: 1 });
    expect(await entry()).toMatchObject({ status: "pending", attempts: 2 });
    // The second backoff doubles: 60 s ± 20 %.
    expect(((await entry())?.nextAttemptAt ?? 0) - gw.clock.now()).toBeGreaterThanOrEqual(48_000);

    gw.clock.advance(80_000);
    const third = await pull(world);
    expect(third.counts["6"]).toMatchObject({ quarantined: 1 });
    expect(third.pendingInInbox).toBe(0);
    expect((await gw.container.sync.quarantined(code)).map((q) => q.messageId)).toEqual([messageId]);
    expect((await gw.container.sync.messageLogs({ supplier: code, sku: poison.sku, limit: 10 })).map((l) => l.outcome)).toEqual([
      "failed",
      "failed",
      "quarantined",
    ]);
    // Everything else is in: only the poison sku differs from the truth.
    expect(await compareWithTruth(world)).toEqual([`${poison.sku}: offered but not stored`]);

    // Quarantined messages are not retried however much time passes.
    gw.clock.advance(PAST_ANY_BACKOFF_MS);
    const later = await pull(world);
    expect(later.callsByOperation.detail ?? 0).toBe(0);

    poison.detail = { ...poison.detail, name: goodName };
    const replay = await gw.container.sync.replay(code, [messageId]);
    expect(replay.requeued).toBe(1);
    if (!replay.attempt.ran) throw new Error("lease busy");
    expect(replay.attempt.summary.trigger).toBe("replay");
    expect(replay.attempt.summary.counts["6"]).toMatchObject({ applied: 1 });
    expect(await entry()).toMatchObject({ status: "applied" });
    expect(await gw.container.sync.quarantined(code)).toEqual([]);
    expect(await compareWithTruth(world)).toEqual([]);
  });

  it("recovers from token expiry and 5xx mid-drain within one more run", async () => {
    world = await startPullerWorld({ products: 150, invalidShare: 0.1 });
    const { knobs } = world.sim.sim;
    knobs.inject("messagePool", "token-expiry", 1);
    knobs.inject("detail", "token-expiry", 2);
    knobs.inject("prices", "token-expiry", 1);
    knobs.inject("promise", "http-5xx", 2);
    knobs.inject("messageDelete", "http-5xx", 1);
    // Every attempt of both groups' images calls (4 each): they give up and their messages back off.
    // The two groups are applied at once, so which call meets which fault is not fixed; with as
    // many faults as both calls' attempts, both give up whatever the order.
    knobs.inject("images", "http-5xx", 8);
    const first = await pull(world);
    expect(["succeeded", "partial"]).toContain(first.status);
    // The first login, and a new one after the pool read's expiry and after the later ones (calls
    // in flight together when a token dies share one login, so two expiries can cost one).
    expect(first.callsByOperation.token ?? 0).toBeGreaterThanOrEqual(3);
    expect(first.counts["6"]?.failed).toBe(150);
    expect(world.sim.sim.pool.pending()).toBe(0);

    world.gw.clock.advance(60_000);
    const second = await pull(world);
    expect(second.status).toBe("succeeded");
    expect(second.pendingInInbox).toBe(0);
    expect(await settledTwice(world)).toEqual([]);
    expect(await compareWithTruth(world)).toEqual([]);
  });

  it("gives the lease back at once when its run cannot be recorded, so the next run is not refused as busy", async () => {
    world = await startPullerWorld({ products: 12, invalidShare: 0 });
    const { gw, code, supplierId } = world;
    const runs = gw.container.repos.syncRuns;
    const startRun = runs.startRun;
    runs.startRun = () => Promise.reject(new Error("the database is away"));
    try {
      await expect(gw.container.sync.pull(code, "manual")).rejects.toThrow("the database is away");
    } finally {
      runs.startRun = startRun;
    }
    expect(await gw.container.repos.syncLeases.leaseOf(supplierId)).toBeUndefined();
    const next = await gw.container.sync.pull(code, "manual");
    expect(next.ran && next.summary.status).toBe("succeeded");
  });

  it("lets one of two runners over the same database drain, the other answers busy; every message applied once", async () => {
    world = await startPullerWorld({ products: 250, invalidShare: 0.1 });
    const { gw, code } = world;
    const other = await createContainer(
      loadConfig({
        DATABASE_URL: gw.config.DATABASE_URL,
        DATA_ENCRYPTION_KEY_FILE: gw.config.DATA_ENCRYPTION_KEY_FILE,
        NODE_ENV: "test",
        SCHEDULER_ENABLED: "false",
      }),
      silentLogger(),
      gw.clock.now,
    );
    try {
      // The second runner asks once the first holds the lease, and again while it is in the middle of applying.
      let during: Promise<Awaited<ReturnType<typeof other.sync.pull>>> | undefined;
      const first = gw.container.sync.pull(code, "manual", (event) => {
        if (event.phase === "apply") during ??= other.sync.pull(code, "schedule");
      });
      await waitFor(
        "the first runner holding the lease",
        async () => (await gw.container.repos.syncLeases.leaseOf(world?.supplierId ?? -1)) !== undefined,
        10_000,
      );
      const [a, b] = await Promise.all([first, other.sync.pull(code, "schedule")]);
      const c = await during;
      expect(a.ran).toBe(true);
      expect(b).toMatchObject({ ran: false, reason: "busy" });
      expect(c).toMatchObject({ ran: false, reason: "busy" });
      expect(b.ran ? null : b.holder).toBe(`${gw.container.sync.runner.instance}:${a.ran ? a.summary.runId : ""}`);

      // Both again, at the same moment, now that the lease is free: one runs, one is busy.
      world.sim.sim.generator.tick(200);
      const pair = await Promise.all([gw.container.sync.pull(code), other.sync.pull(code)]);
      expect(pair.filter((p) => p.ran)).toHaveLength(1);
      expect(pair.filter((p) => !p.ran)).toEqual([expect.objectContaining({ ran: false, reason: "busy" })]);

      const runs = await gw.container.sync.runs({ supplier: code, limit: 10 });
      expect(runs).toHaveLength(2);
      expect(await gw.container.repos.syncLeases.leaseOf(world.supplierId)).toBeUndefined();
      expect(world.sim.sim.pool.pending()).toBe(0);
      expect(await settledTwice(world)).toEqual([]);
      expect(await count(world, "SELECT count(*) FROM sync_message_logs")).toBe(await count(world, "SELECT count(*) FROM message_inbox"));
      expect(await compareWithTruth(world)).toEqual([]);
    } finally {
      await other.supplierConnections.closeAll();
      other.close();
    }
  });

  /**
   * Ten price changes and a slow S-10 (800 ms): while the first runner waits for it, a second
   * container on the same database, with `otherClock`, takes the lease over and pulls. `beforeTakeover`
   * runs just before it does. Answers both runs.
   */
  async function takeOverMidRound(otherClock: (gw: PullerWorld["gw"]) => () => number, beforeTakeover: (gw: PullerWorld["gw"]) => void = () => undefined) {
    world = await startPullerWorld({ products: 30, invalidShare: 0 });
    const w = world;
    const { gw, sim, code } = w;
    await pull(w);
    const other = await createContainer(
      loadConfig({
        DATABASE_URL: gw.config.DATABASE_URL,
        DATA_ENCRYPTION_KEY_FILE: gw.config.DATA_ENCRYPTION_KEY_FILE,
        NODE_ENV: "test",
        SCHEDULER_ENABLED: "false",
      }),
      silentLogger(),
      otherClock(gw),
    );
    try {
      for (const p of sim.sim.products.all().slice(0, 10)) sim.sim.changes.apply("price", p);
      sim.sim.knobs.apply({ endpoints: { prices: { latencyMs: 800 } } });
      let takeover: ReturnType<typeof other.sync.pull> | undefined;
      const first = gw.container.sync.pull(code, "manual", (event) => {
        if (event.phase !== "pull" || event.type !== 2 || takeover) return;
        takeover = new Promise((resolve) => setTimeout(resolve, 300)).then(() => {
          beforeTakeover(gw);
          return other.sync.pull(code, "schedule");
        });
      });
      const a = await first;
      const b = await takeover;
      return { a, b, world: w };
    } finally {
      await other.supplierConnections.closeAll();
      other.close();
    }
  }

  it("reads the lease in the commit itself: a runner that renewed a moment ago still lands nothing once another instance took the lease over", async () => {
    // The other instance's clock runs ahead (skew between machines): to it the lease has expired,
    // while the first runner's own clock says it renewed a moment ago.
    const { a, b, world: w } = await takeOverMidRound((gw) => () => gw.clock.now() + gw.container.sync.settings.leaseTtlMs + 1_000);
    expect(b?.ran).toBe(true);
    expect(a.ran && a.summary.errors.at(-1)?.kind).toBe("lease");
    expect(a.ran ? (a.summary.counts["2"]?.applied ?? 0) : -1).toBe(0);
    expect(b?.ran && b.summary.counts["2"]?.applied).toBe(10);
    expect(await settledTwice(w)).toEqual([]);
    expect(await compareWithTruth(w)).toEqual([]);
  });

  it("does not commit a chunk after its lease passed to another runner mid-round (fencing)", async () => {
    // The first runner is still waiting for S-10 when its lease runs out (a GC pause, a stingy QPS
    // limit, a supplier timing out — any round longer than leaseTtlMs).
    const {
      a,
      b,
      world: w,
    } = await takeOverMidRound(
      (gw) => gw.clock.now,
      (gw) => gw.clock.advance(gw.container.sync.settings.leaseTtlMs + 1_000),
    );
    expect(b?.ran).toBe(true);
    expect(a.ran && a.summary.status).toBe("failed");
    expect(a.ran && a.summary.errors.at(-1)?.kind).toBe("lease");
    expect(b?.ran && b.summary.counts["2"]?.applied).toBe(10);
    expect(await settledTwice(w)).toEqual([]);
    expect(await compareWithTruth(w)).toEqual([]);
  });
});
