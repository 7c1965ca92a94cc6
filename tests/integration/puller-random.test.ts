import { afterEach, describe, expect, it } from "vitest";
import type { RunSummary } from "../../src/sync/sync-runner.js";
import { type PullerWorld, compareWithTruth, pullOnce, startPullerWorld } from "../helpers/puller-harness.js";
import { rawSql } from "../helpers/raw-sql.js";

let world: PullerWorld | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

const pull = pullOnce;

const WAVES = 5;
const CHANGES_PER_WAVE = 1_100;
/** Above the backoff of any attempt the puller settings allow (30 s × 2^4 × 1.2 ≈ 9.6 min). */
const PAST_ANY_BACKOFF_MS = 15 * 60_000;
const SETTLE_RUNS_MAX = 6;

describe("a randomized change stream under faults", () => {
  it("ends with the product store equal to the supplier's truth after 5,000+ messages", { timeout: 180_000 }, async () => {
    world = await startPullerWorld({ products: 300, invalidShare: 0.1, seed: 4242 });
    const { sim, gw } = world;
    const db = rawSql(gw.container.store);
    // Every answer-side fault on every endpoint, so reads, deletes and logins all see them (timeouts,
    // 2 s each here, are covered by the client's own tests).
    sim.sim.knobs.apply({
      endpoints: { "*": { faults: { "http-5xx": 0.03, "malformed-json": 0.01, "bad-signature": 0.01, "drop-after-work": 0.01, "token-expiry": 0.005 } } },
      duplicateMessages: 0.05,
    });

    // Every run ends with a status even while calls fail under it.
    const statuses: string[] = [];
    statuses.push((await pull(world)).status);
    for (let wave = 0; wave < WAVES; wave++) {
      sim.sim.generator.tick(CHANGES_PER_WAVE);
      statuses.push((await pull(world)).status);
    }

    sim.sim.knobs.reset();
    let settled: RunSummary | undefined;
    for (let i = 0; i < SETTLE_RUNS_MAX; i++) {
      gw.clock.advance(PAST_ANY_BACKOFF_MS);
      settled = await pull(world);
      if (settled.pendingInInbox === 0 && sim.sim.pool.pending() === 0) break;
    }
    expect(settled?.status).toBe("succeeded");
    expect(settled?.pendingInInbox).toBe(0);
    expect(sim.sim.pool.pending()).toBe(0);

    const messages = Number(await db.value("SELECT count(*) FROM message_inbox"));
    expect(messages).toBeGreaterThanOrEqual(5_000);
    expect(await gw.container.sync.quarantined(world.code)).toEqual([]);
    // The faults did bite: many calls failed on the wire and some runs saw errors.
    const failedCalls = Number(await db.value("SELECT count(*) FROM sync_calls WHERE outcome <> 'ok'"));
    expect(failedCalls).toBeGreaterThan(100);
    expect(statuses.every((s) => s === "succeeded" || s === "partial")).toBe(true);

    // Each message settled exactly once, and no price change was written twice.
    const twice = (
      await db.all<{ message_id: string }>(
        "SELECT message_id FROM sync_message_logs WHERE outcome IN ('applied','rejected','skipped') GROUP BY message_id HAVING count(*) > 1",
      )
    ).map((r) => r.message_id);
    expect(twice).toEqual([]);
    const settledCount = await db.value("SELECT count(DISTINCT message_id) FROM sync_message_logs WHERE outcome IN ('applied','rejected','skipped')");
    expect(settledCount).toBe(messages);
    const repeatedPrices = await db.value(
      "SELECT count(*) FROM price_history a JOIN price_history b ON b.supplier_id = a.supplier_id AND b.sku = a.sku " +
        "AND b.id = (SELECT min(id) FROM price_history c WHERE c.supplier_id = a.supplier_id AND c.sku = a.sku AND c.id > a.id) " +
        "WHERE b.price_fen = a.price_fen AND b.mall_price_fen = a.mall_price_fen",
    );
    expect(repeatedPrices).toBe(0);

    expect(await compareWithTruth(world)).toEqual([]);
  });
});
