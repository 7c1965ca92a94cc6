import type { IncomingMessage, ServerResponse } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { SignMode, supplierOperations } from "../../src/contract/index.js";
import { type PullerWorld, compareWithTruth, pullOnce, startPullerWorld } from "../helpers/puller-harness.js";
import { TEST_ACCOUNT } from "../helpers/simulator-harness.js";

let world: PullerWorld | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

const BATCH_OPERATIONS = new Set(["promise", "shelfStates", "images", "prices"]);
const operationOf = (url: string | undefined): string => Object.entries(supplierOperations).find(([, op]) => op.path === url)?.[0] ?? "other";

/** What the supplier sees: calls in flight at once, at most, and whether a sku call overlapped a batch call. */
function watchSupplier(w: PullerWorld) {
  const inFlight = new Map<string, number>();
  const seen = { peak: 0, detailDuringBatch: false, poolReadsDuringApply: false };
  const total = () => [...inFlight.values()].reduce((a, b) => a + b, 0);
  w.sim.server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    const op = operationOf(req.url);
    const batchesInFlight = [...BATCH_OPERATIONS].some((b) => (inFlight.get(b) ?? 0) > 0);
    if (op === "detail" && batchesInFlight) seen.detailDuringBatch = true;
    if (op === "messagePool" && ((inFlight.get("detail") ?? 0) > 0 || batchesInFlight)) seen.poolReadsDuringApply = true;
    inFlight.set(op, (inFlight.get(op) ?? 0) + 1);
    seen.peak = Math.max(seen.peak, total());
    res.once("close", () => inFlight.set(op, (inFlight.get(op) ?? 1) - 1));
  });
  return seen;
}

describe("the puller's calls run side by side within the connection's limits", () => {
  it("applies several groups and pulls other types at once, never above maxConcurrent", async () => {
    world = await startPullerWorld({ products: 320, invalidShare: 0 });
    const w = world;
    // A slower supplier, so overlapping calls are really in flight together.
    w.sim.sim.knobs.apply({ endpoints: { "*": { latencyMs: 3 } } });
    await w.gw.container.supplierConnections.connect({
      code: w.code,
      username: TEST_ACCOUNT.username,
      password: TEST_ACCOUNT.password,
      appSecret: TEST_ACCOUNT.appSecret,
      signMode: SignMode.HmacSha256,
      baseUrl: w.sim.url,
      qps: 1000,
      maxConcurrent: 3,
      timeoutMs: 5_000,
    });
    // Price messages in the pool too, more pages of them than of adds: they are read while the
    // type-6 adds are applied.
    const products = w.sim.sim.products.all();
    for (let round = 0; round < 8; round++) for (const p of products.slice(0, 250)) w.sim.sim.changes.apply("price", p);
    const seen = watchSupplier(w);

    const run = await pullOnce(w);
    expect(run.status).toBe("succeeded");
    expect(seen.peak).toBeLessThanOrEqual(3);
    expect(seen.peak).toBe(3);
    // One group's S-4 went out while another group's batch call was under way.
    expect(seen.detailDuringBatch).toBe(true);
    expect(seen.poolReadsDuringApply).toBe(true);
    // Still one read per sku and full batches: the §3 minimum.
    expect(run.callsByOperation.detail).toBe(320);
    expect(run.callsByOperation.promise).toBe(Math.ceil(320 / 100));
    expect(run.callsByOperation.prices).toBe(Math.ceil(320 / 100) + Math.ceil(250 / 100));
    expect(await compareWithTruth(w)).toEqual([]);
  });

  it("keeps pool order per sku: each sku's messages are applied by one group, once, newest deciding", async () => {
    world = await startPullerWorld({ products: 300, invalidShare: 0 });
    const w = world;
    await pullOnce(w);
    const products = w.sim.sim.products.all();
    // Per sku in pool order: removed, added again, and for the first half removed once more.
    // Spread over many pages, so each sku's messages sit on different pages.
    for (const p of products) w.sim.sim.changes.apply("withdraw", p);
    for (const p of products) w.sim.sim.changes.apply("readd", p);
    for (const p of products.slice(0, 150)) w.sim.sim.changes.apply("withdraw", p);

    const run = await pullOnce(w);
    expect(run.status).toBe("succeeded");
    expect(await compareWithTruth(w)).toEqual([]);
    const statuses = new Map((await w.gw.container.repos.products.list(w.supplierId)).map((p) => [p.sku, p.status]));
    for (const p of products.slice(0, 150)) expect(statuses.get(p.sku)).toBe("delisted");
    for (const p of products.slice(150)) expect(statuses.get(p.sku)).toBe("active");
    // Only the re-added skus whose newest message is the add are read, each once: no sku was taken
    // by two groups at once.
    expect(run.callsByOperation.detail).toBe(150);
    const logs = await w.gw.container.sync.messageLogs({ runId: run.runId, limit: 5_000 });
    expect(logs).toHaveLength(750);
    expect(new Set(logs.map((l) => l.messageId)).size).toBe(750);
  });
});
