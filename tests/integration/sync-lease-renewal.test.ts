import { afterEach, describe, expect, it } from "vitest";
import { silentLogger } from "../../src/lib/logger.js";
import { type RunAttempt } from "../../src/sync/sync-runner.js";
import { createSyncService } from "../../src/sync/sync-service.js";
import { type PullerWorld, compareWithTruth, liveClock, pullOnce, startPullerWorld } from "../helpers/puller-harness.js";
import { TEST_ACCOUNT } from "../helpers/simulator-harness.js";

let world: PullerWorld | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

/** Far shorter than one slow round, so a lease that is not renewed while work is in flight runs out. */
const SHORT_LEASE_MS = 2_000;
/** The slow supplier: 1.5 s a call. */
const SLOW_CALL_MS = 1_500;

/** The gateway's own sync service, with a short lease. */
function shortLeaseService(w: PullerWorld) {
  const c = w.gw.container;
  return createSyncService({
    config: w.gw.config,
    store: c.store,
    accounts: c.repos.accounts,
    products: c.repos.products,
    leases: c.repos.syncLeases,
    syncRuns: c.repos.syncRuns,
    inbox: c.repos.inbox,
    messageLogs: c.repos.messageLogs,
    callLogs: c.repos.callLogs,
    reference: c.repos.reference,
    connections: c.supplierConnections,
    logger: silentLogger(),
    clock: w.gw.clock.now,
    gate: c.conformance.gate,
    settings: { leaseTtlMs: SHORT_LEASE_MS },
  });
}

/**
 * Keeps trying `other` every 100 ms while `work` is in flight: what a second process's scheduler does.
 * The attempts that ran while the main run held its lease are `overlapping`: those started before the
 * main run ended (its row's end, written before it gives the lease back). One that starts after it
 * may run, and on PostgreSQL can, in the round trips between the lease given back and `work` resolving.
 */
async function contend(
  w: PullerWorld,
  work: Promise<RunAttempt>,
  other: () => Promise<RunAttempt>,
): Promise<{ main: RunAttempt; others: RunAttempt[]; overlapping: RunAttempt[] }> {
  const others: RunAttempt[] = [];
  let done = false;
  const loop = (async () => {
    while (!done) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      if (!done) others.push(await other());
    }
  })();
  const main = await work.finally(() => {
    done = true;
  });
  await loop;
  const endedAt = main.ran ? ((await w.gw.container.repos.syncRuns.run(main.summary.runId))?.endedAt ?? Number.POSITIVE_INFINITY) : 0;
  return { main, others, overlapping: others.filter((o) => o.ran && Date.parse(o.summary.startedAt) < endedAt) };
}

describe("the lease is renewed while a long round is in flight (issue 9.6)", () => {
  it("keeps a slow pull's lease: the other runner stays out and the round commits", async () => {
    // 16 skus, two calls each, 8 at a time: four waves of 1.5 s in one round, twice the lease.
    world = await startPullerWorld({ products: 16, invalidShare: 0 }, {}, liveClock());
    const service = shortLeaseService(world);
    world.sim.sim.knobs.apply({ endpoints: { detail: { latencyMs: SLOW_CALL_MS }, attributes: { latencyMs: SLOW_CALL_MS } } });
    const started = Date.now();
    const { main, others, overlapping } = await contend(world, service.pull(world.code), () => service.stock(world?.code ?? ""));
    expect(Date.now() - started).toBeGreaterThan(2 * SHORT_LEASE_MS);
    expect(main.ran && main.summary.status).toBe("succeeded");
    expect(main.ran && main.summary.counts["6"]).toMatchObject({ applied: 16 });
    expect(others.length).toBeGreaterThan(5);
    expect(overlapping).toEqual([]);
    expect(await compareWithTruth(world)).toEqual([]);
  }, 60_000);

  it("keeps a slow stock refresh's lease, which was never renewed", async () => {
    world = await startPullerWorld({ products: 8, invalidShare: 0 }, {}, liveClock());
    await pullOnce(world);
    await world.gw.container.supplierConnections.connect({
      code: world.code,
      baseUrl: world.sim.url,
      username: TEST_ACCOUNT.username,
      password: TEST_ACCOUNT.password,
      appSecret: TEST_ACCOUNT.appSecret,
      qps: 1000,
      maxConcurrent: 8,
      timeoutMs: 5_000,
      stockAreas: ["120000_120100_120101", "120000_120100_120102"],
    });
    const service = shortLeaseService(world);
    // One S-8 call alone outlasts the lease: only a renewal while it is in flight keeps it.
    world.sim.sim.knobs.apply({ endpoints: { stocks: { latencyMs: SHORT_LEASE_MS + 500 } } });
    const { main, others, overlapping } = await contend(world, service.stock(world.code), () => service.pull(world?.code ?? ""));
    expect(main.ran && main.summary.status).toBe("succeeded");
    expect(main.ran && main.summary.counts.stock).toMatchObject({ applied: 2 * 8 });
    expect(others.length).toBeGreaterThan(5);
    expect(overlapping).toEqual([]);
  }, 60_000);
});
