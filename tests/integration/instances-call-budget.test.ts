import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/config.js";
import { type Container, createContainer } from "../../src/container.js";
import { silentLogger } from "../../src/lib/logger.js";
import type { RunningSimulator } from "../../src/simulator/simulator-server.js";
import { createCallBudgetRepo } from "../../src/store/repos/call-budget-repo.js";
import { nextCreditCode } from "../helpers/harness.js";
import { AREA, orderFile } from "../helpers/order-rig.js";
import { copySimulatorProducts, orderableSkus } from "../helpers/order-products.js";
import { SIM_DOMAIN, compareWithTruth } from "../helpers/puller-harness.js";
import { TEST_ACCOUNT, launchSimulator } from "../helpers/simulator-harness.js";
import { onPostgres, testDatabaseUrl } from "../helpers/test-database.js";

/**
 * Two gateway instances (two containers, each with its own connection to ONE database) calling one
 * reference supplier at once: the supplier's maxConcurrent and QPS hold for both together.
 */
const CODE = "SIM";
const MAX_CONCURRENT = 4;
const QPS = 30;
/** Each call takes this long at the supplier, so calls overlap and maxConcurrent is what binds them at times. */
const LATENCY_MS = 100;
const PRODUCTS = 80;
const PAGE = 100;
/** §3 minimum of a drain of PRODUCTS type-6 messages: a token; a page, a delete and S-6/S-7/S-9/S-10 per 100; S-4 + S-5 a sku; one empty page per type. */
const PULL_MINIMUM = 1 + Math.ceil(PRODUCTS / PAGE) * (1 + 1 + 4) + 2 * PRODUCTS + 4;
/**
 * The supplier's own QPS limit is set to the connection's (supplierQps): it counts every call of the
 * last second as it arrives and refuses (and counts) each one over, so `throttled` is the check.
 * A supplier stamps calls on arrival. This simulator shares the test's process with both gateways,
 * so a stall of the event loop (GC, a loaded machine) can hand it calls booked apart as one bunch: a
 * stray refusal is that jitter; the gateways without a shared budget get one for every call over.
 */
const JITTER_REFUSALS = 3;

type Instance = { container: Container; close(): Promise<void> };

let cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

/** One gateway instance on the shared database: its own container, store connection and supplier clients. */
async function startInstance(dir: string, databaseUrl: string): Promise<Instance> {
  const config = loadConfig({
    DATABASE_URL: databaseUrl,
    DATA_ENCRYPTION_KEY_FILE: join(dir, "master.key"),
    CONFORMANCE_REPORT_DIR: join(dir, "conformance"),
    NODE_ENV: "test",
    SCHEDULER_ENABLED: "false",
  });
  const container = await createContainer(config, silentLogger(), Date.now);
  return {
    container,
    async close() {
      await container.supplierConnections.closeAll();
      container.close();
    },
  };
}

async function twoInstancesAndSupplier(): Promise<{ a: Instance; b: Instance; sim: RunningSimulator; supplierId: number; databaseUrl: string; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), "emall-instances-"));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  const databaseUrl = await testDatabaseUrl(dir);
  const sim = await launchSimulator({ domain: SIM_DOMAIN, products: PRODUCTS, invalidShare: 0, offShelfShare: 0 });
  cleanup.push(() => sim.close());
  const a = await startInstance(dir, databaseUrl);
  cleanup.push(() => a.close());
  await a.container.referenceLoader.seedIfEmpty(a.container.config.FIXTURES_DIR);
  await a.container.supplierAccounts.create({ code: CODE, name: "参考电商", creditCode: await nextCreditCode(), domains: [SIM_DOMAIN] });
  await a.container.supplierConnections.connect({ code: CODE, baseUrl: sim.url, ...TEST_ACCOUNT, qps: QPS, maxConcurrent: MAX_CONCURRENT, timeoutMs: 10_000 });
  await a.container.conformance.waive(CODE, "instances test rig: the reference supplier, certified in the conformance tests", "test:instances-rig");
  const supplierId = (await a.container.repos.accounts.supplierByCode(CODE))?.id ?? -1;
  const b = await startInstance(dir, databaseUrl);
  cleanup.push(() => b.close());
  return { a, b, sim, supplierId, databaseUrl, dir };
}

describe("call limits across gateway instances on one database (issue 11 §2)", () => {
  it("keeps a pull on one instance and order pushes on the other within the supplier's maxConcurrent and QPS together, calls at the minimum", async () => {
    const { a, b, sim, supplierId } = await twoInstancesAndSupplier();
    const truth = sim.sim.exportTruth().products;
    // Instance B's orders need the skus in the store; instance A's pull then reads them all again from the pool.
    await copySimulatorProducts(b.container, supplierId, truth);
    const skus = orderableSkus(truth, AREA.province, 20).map((t) => t.sku);
    expect(skus.length).toBeGreaterThan(10);
    sim.sim.knobs.apply({ supplierQps: QPS, endpoints: { "*": { latencyMs: LATENCY_MS } } });
    sim.sim.knobs.maxInFlight = 0;
    const began = performance.now();

    let pullDone = false;
    const pull = a.container.sync.pull(CODE, "manual").finally(() => (pullDone = true));
    const orders = b.container.orders.service;
    const pushed: string[] = [];
    const states: string[] = [];
    let next = 0;
    // Three order lines at once keep instance B's own limiter busy for as long as the pull runs.
    const pusher = async () => {
      while (!pullDone) {
        const sku = skus[next++ % skus.length] ?? "";
        const created = await orders.create(orderFile([{ sku }], { supplier: CODE }), "test");
        if (!created.ok) throw created.error;
        const yggc = created.value.yggc_order;
        pushed.push(yggc);
        const outcome = await orders.push(yggc, "test");
        states.push(outcome.ok ? outcome.value.state : outcome.error.message);
      }
    };
    const [attempt] = await Promise.all([pull, pusher(), pusher(), pusher()]);
    const elapsedS = (performance.now() - began) / 1_000;

    if (!attempt.ran) throw new Error("the pull did not get the supplier's lease");
    const { knobs } = sim.sim;
    const admitted = [...knobs.admitted.values()].reduce((s, n) => s + n, 0);
    const sent = admitted + knobs.throttled;
    // What both instances did together, told with every failure below.
    const seen =
      `two instances: ${sent} calls in ${elapsedS.toFixed(1)} s (${(sent / elapsedS).toFixed(1)}/s of ${QPS}), ` +
      `at most ${knobs.maxInFlight} in flight of ${MAX_CONCURRENT}, ${knobs.throttled} refused as too fast, pull ${attempt.summary.status} with ${attempt.summary.callsMade} calls ÷ minimum ${PULL_MINIMUM} ${JSON.stringify(attempt.summary.errors.slice(0, 2))}, ${pushed.length} orders`;
    // Both instances were busy together: the pull's own calls and B's order calls overlapped.
    expect(pushed.length).toBeGreaterThanOrEqual(3);
    expect(knobs.admitted.get("submitOrder") ?? 0).toBeGreaterThanOrEqual(3);

    expect(knobs.maxInFlight, `calls in flight at the supplier at once, both instances together; ${seen}`).toBeLessThanOrEqual(MAX_CONCURRENT);
    expect(knobs.throttled, `calls refused as too fast; ${seen}`).toBeLessThanOrEqual(JITTER_REFUSALS);
    // Within the limit and still using it: not starved by waiting on each other.
    expect(sent / elapsedS, seen).toBeLessThanOrEqual(QPS);
    expect(sent / elapsedS, seen).toBeGreaterThan(QPS * 0.4);

    // Calls at the contract minimum: the pull's by §3, and every call the supplier saw against those it answered.
    expect(attempt.summary.status, seen).toBe("succeeded");
    expect(attempt.summary.callsMade / PULL_MINIMUM, seen).toBeLessThanOrEqual(1.05);
    expect(sent / admitted, seen).toBeLessThanOrEqual(1.05);
    expect(
      states.every((s) => s === "confirmed"),
      states.join(","),
    ).toBe(true);
    const atSupplier = sim.sim.orders.all().map((o) => o.yggc_order);
    for (const yggc of pushed)
      expect(
        atSupplier.filter((o) => o === yggc),
        yggc,
      ).toHaveLength(1);
    expect(await compareWithTruth({ gw: { container: a.container }, sim, supplierId })).toEqual([]);
  }, 120_000);

  it("keeps both instances' own calls, made as fast as each may, within maxConcurrent and QPS together", async () => {
    const { a, b, sim, supplierId } = await twoInstancesAndSupplier();
    const skus = sim.sim.exportTruth().products.map((t) => t.sku);
    const clients = await Promise.all([a, b].map((i) => i.container.supplierConnections.clientFor(supplierId)));
    // Both log in first: the token calls are not what is measured.
    for (const client of clients) expect((await client.token()).ok).toBe(true);
    sim.sim.knobs.reset();
    sim.sim.knobs.apply({ supplierQps: QPS, endpoints: { "*": { latencyMs: LATENCY_MS } } });
    sim.sim.knobs.maxInFlight = 0;
    const RUN_MS = 4_000;
    const began = performance.now();
    const end = began + RUN_MS;
    const failures: string[] = [];
    let answered = 0;
    // More callers than maxConcurrent on each instance: each one's own limiter alone would fill the supplier's slots.
    const caller = async (client: (typeof clients)[number], n: number) => {
      for (let i = n; performance.now() < end; i += 7) {
        const sku = skus[i % skus.length] ?? "";
        const answer = i % 2 === 0 ? await client.detail(sku) : await client.prices([sku]);
        if (answer.ok) answered++;
        else failures.push(answer.error.message);
      }
    };
    await Promise.all(clients.flatMap((client) => Array.from({ length: 2 * MAX_CONCURRENT }, (_, n) => caller(client, n))));
    const elapsedS = (performance.now() - began) / 1_000;

    const { knobs } = sim.sim;
    const admitted = [...knobs.admitted.values()].reduce((s, n) => s + n, 0);
    const sent = admitted + knobs.throttled;
    const seen = `${sent} calls in ${elapsedS.toFixed(1)} s, at most ${knobs.maxInFlight} in flight, ${knobs.throttled} refused as too fast`;
    expect(failures, seen).toEqual([]);
    expect(answered, seen).toBe(admitted);
    expect(knobs.maxInFlight, `calls in flight at the supplier at once; ${seen}`).toBeLessThanOrEqual(MAX_CONCURRENT);
    expect(knobs.throttled, `calls refused as too fast; ${seen}`).toBeLessThanOrEqual(JITTER_REFUSALS);
    expect(sent / admitted, seen).toBeLessThanOrEqual(1.05);
    // The budget was used, not starved by the instances waiting on each other.
    expect(sent / elapsedS, seen).toBeGreaterThan(QPS * 0.4);
  }, 60_000);

  it("gives a killed instance's slots back when their lease ends", async () => {
    const { a, sim, supplierId, databaseUrl, dir } = await twoInstancesAndSupplier();
    // An instance that took every slot and died: it neither renews nor releases.
    const dead = await startInstance(dir, databaseUrl);
    const deadBudget = createCallBudgetRepo(dead.container.store.sql, "dead-instance");
    const LEASE_MS = 1_500;
    const claimedAt = performance.now();
    for (let i = 0; i < MAX_CONCURRENT; i++) expect(await deadBudget.claimSlot(supplierId, MAX_CONCURRENT, LEASE_MS)).not.toBeNull();
    expect(await deadBudget.claimSlot(supplierId, MAX_CONCURRENT, LEASE_MS)).toBeNull();
    await dead.close();

    const client = await a.container.supplierConnections.clientFor(supplierId);
    const answer = await client.prices([sim.sim.exportTruth().products[0]?.sku ?? ""]);
    const waitedMs = performance.now() - claimedAt;
    expect(answer.ok).toBe(true);
    expect(waitedMs).toBeGreaterThanOrEqual(LEASE_MS - 50);
    expect(waitedMs).toBeLessThan(LEASE_MS + 5_000);
    // Given back once no call of the instance took it on: every slot free again.
    await new Promise((r) => setTimeout(r, 200));
    expect(await createCallBudgetRepo(a.container.store.sql).heldSlots(supplierId)).toBe(0);
  }, 60_000);
});

describe("the call budget repository", () => {
  it(`holds slots to maxConcurrent, renews and releases only its own claim, and books calls at the rate (${onPostgres ? "postgres" : "sqlite"})`, async () => {
    const { a, b, supplierId } = await twoInstancesAndSupplier();
    const one = createCallBudgetRepo(a.container.store.sql, "one");
    const two = createCallBudgetRepo(b.container.store.sql, "two");
    const first = await one.claimSlot(supplierId, 2, 10_000);
    const second = await two.claimSlot(supplierId, 2, 10_000);
    expect(first?.slot).toBe(0);
    expect(second?.slot).toBe(1);
    expect(await two.claimSlot(supplierId, 2, 10_000)).toBeNull();
    expect(await one.heldSlots(supplierId)).toBe(2);
    if (!first || !second) return;
    // A claim that is not this caller's is left alone.
    await two.releaseSlot(supplierId, { slot: first.slot, holder: second.holder });
    expect(await one.heldSlots(supplierId)).toBe(2);
    expect(await one.renewSlot(supplierId, first, 10_000)).toBe(true);
    await one.releaseSlot(supplierId, first);
    expect(await one.renewSlot(supplierId, first, 10_000)).toBe(false);
    expect((await two.claimSlot(supplierId, 2, 10_000))?.slot).toBe(0);
    // A lowered maxConcurrent: slots above it are never handed out.
    await two.releaseSlot(supplierId, second);
    expect(await one.claimSlot(supplierId, 1, 10_000)).toBeNull();

    // 10 calls a second, a bucket of one: the first at once, then each booked 100 ms after the one before.
    const waits: number[] = [];
    for (let i = 0; i < 5; i++) waits.push(await (i % 2 === 0 ? one : two).bookCalls(supplierId + 1000, 10, 1, 1));
    expect(waits[0]).toBe(0);
    for (let i = 1; i < waits.length; i++) {
      expect(waits[i] ?? 0).toBeGreaterThanOrEqual(i * 100 - 30);
      expect(waits[i] ?? 0).toBeLessThanOrEqual(i * 100 + 1);
    }
    // A booking of three turns: its first is the next free one, and the booking after it waits for all three.
    const block = await one.bookCalls(supplierId + 1000, 10, 1, 3);
    expect(block).toBeGreaterThanOrEqual(500 - 30);
    expect(block).toBeLessThanOrEqual(500 + 1);
    const after = await two.bookCalls(supplierId + 1000, 10, 1, 1);
    expect(after).toBeGreaterThanOrEqual(800 - 30);
    expect(after).toBeLessThanOrEqual(800 + 1);
    await expect(one.bookCalls(supplierId, 0, 1, 1)).rejects.toThrow(RangeError);
    await expect(one.bookCalls(supplierId, 10, 1, 0)).rejects.toThrow(RangeError);
  }, 60_000);
});
