import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Container } from "../../src/container.js";
import type { RunningSimulator } from "../../src/simulator/simulator-server.js";
import { AREA, orderFile } from "../helpers/order-rig.js";
import { orderableSkus } from "../helpers/order-products.js";
import { type GatewayProcess, killHard, spawnGateway } from "../helpers/gateway-process.js";
import { divergenceFromSupplier } from "../helpers/puller-harness.js";
import { startProcessWorld } from "../helpers/process-world.js";
import { testDatabaseUrl } from "../helpers/test-database.js";
import { waitFor } from "../helpers/wait.js";
import { rawSql } from "../helpers/raw-sql.js";

/**
 * Two gateway processes (src/main.ts, each with its scheduler) on one database and a faulty
 * reference supplier. The one draining the supplier is killed with SIGKILL mid-drain, and later the
 * one pushing orders mid-push: the other takes the work over within a lease period, and afterwards
 * every message was settled once and every order exists once at the supplier, confirmed.
 */

const LEASE_MS = 2_000;
/** The scheduler looks every second (pull) or two (orders); a loaded machine adds its own delay. */
const TAKEOVER_SLACK_MS = 4_000;
/** One drain with the supplier healthy again, generous for two shared cores. */
const ONE_DRAIN_MS = 30_000;
const ORDERS = 6;
const CODE = "TAKEOVER";

let dir: string;
let env: Record<string, string>;
let sim: RunningSimulator;
let container: Container;
let supplierId: number;
const running = new Set<ChildProcess>();

/** Each gateway started, killed at the end if still running. */
function startGateway(): GatewayProcess {
  const gw = spawnGateway(env);
  running.add(gw.process);
  gw.process.once("exit", () => running.delete(gw.process));
  return gw;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The pid in the supplier's pull lease holder (`host:pid:run`), while the lease is live. */
async function pullLeasePid(): Promise<number | null> {
  const lease = await container.repos.syncLeases.leaseOf(supplierId);
  if (!lease || lease.expiresAt <= Date.now()) return null;
  return Number(lease.holder.split(":")[1]);
}

type OrderLease = { yggcOrder: string; state: string; leaseOwner: string | null; leaseUntil: number | null };
function orderLeases(): Promise<OrderLease[]> {
  return rawSql(container.store).all<OrderLease>(
    'SELECT yggc_order AS "yggcOrder", state, lease_owner AS "leaseOwner", lease_until AS "leaseUntil" FROM orders ORDER BY yggc_order',
  );
}

/** Messages settled more than once across runs (each should be applied, rejected or skipped once), and those not settled. */
async function messagesNotSettledOnce(): Promise<string[]> {
  const db = rawSql(container.store);
  const twice = await db.all<{ messageId: string; n: number }>(
    `SELECT message_id AS "messageId", COUNT(*) AS n FROM sync_message_logs WHERE supplier_id = ? AND outcome IN ('applied', 'rejected', 'skipped') ` +
      "GROUP BY message_id HAVING COUNT(*) > 1",
    supplierId,
  );
  const unsettled = await db.all<{ messageId: string; status: string }>(
    `SELECT message_id AS "messageId", status FROM message_inbox WHERE supplier_id = ? AND status NOT IN ('applied', 'rejected', 'skipped')`,
    supplierId,
  );
  return [...twice.map((r) => `${r.messageId}: settled ${r.n} times`), ...unsettled.map((r) => `${r.messageId}: ${r.status}`)];
}

const divergence = (yggcOrders: readonly string[]) => divergenceFromSupplier({ sim, container, supplierId }, yggcOrders);

const FAULTS = { "http-5xx": 0.05, timeout: 0.02, "malformed-json": 0.03, "drop-after-work": 0.05 } as const;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "emall-takeover-"));
  ({ env, sim, container, supplierId } = await startProcessWorld({
    databaseUrl: await testDatabaseUrl(dir),
    dir,
    code: CODE,
    name: "接管测试电商",
    env: { PULL_LEASE_MS: String(LEASE_MS), ORDER_LEASE_MS: String(LEASE_MS), PULL_RETRY_BASE_MS: "300", ORDER_RETRY_BASE_MS: "300" },
  }));
}, 120_000);

afterAll(async () => {
  for (const p of [...running]) await killHard(p);
  sim?.sim.stop();
  await sim?.close();
  container?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("two gateway processes on one database (issue 11 §2)", () => {
  let survivor: GatewayProcess;

  it("takes a drain over within a lease period when the draining process is killed, and settles every message once", async () => {
    // A slow, faulty supplier with a full pool: a drain is under way for seconds.
    sim.sim.knobs.apply({ timeoutHoldMs: 1_200, endpoints: { "*": { latencyMs: 20, faults: FAULTS } } });
    sim.sim.generator.tick(150);
    const gateways = [startGateway(), startGateway()];
    await Promise.all(gateways.map((g) => g.listening));

    const holderPid = await waitFor(
      "a drain under way",
      async () => {
        const pid = await pullLeasePid();
        return pid !== null && gateways.some((g) => g.pid === pid) ? pid : null;
      },
      30_000,
    );
    const victim = gateways.find((g) => g.pid === holderPid);
    const other = gateways.find((g) => g.pid !== holderPid);
    if (!victim || !other) throw new Error("no process holds the lease");
    // Mid-drain: messages are being taken from the pool.
    const pendingBefore = sim.sim.pool.pending();
    await sleep(400);
    expect(await pullLeasePid()).toBe(holderPid);
    await killHard(victim.process);
    const killedAt = Date.now();

    await waitFor("the other process holding the lease", async () => (await pullLeasePid()) === other.pid, LEASE_MS + TAKEOVER_SLACK_MS + 2_000);
    const takeoverMs = Date.now() - killedAt;
    expect(takeoverMs, `took over ${takeoverMs} ms after the kill`).toBeLessThanOrEqual(LEASE_MS + TAKEOVER_SLACK_MS);
    expect(pendingBefore).toBeGreaterThan(0);

    // The supplier heals: the survivor alone finishes the pool and the products equal the truth.
    sim.sim.knobs.reset();
    let last = await divergence([]);
    const deadline = Date.now() + ONE_DRAIN_MS;
    while (last.length > 0 && Date.now() < deadline) {
      await sleep(500);
      last = await divergence([]);
    }
    expect(last).toEqual([]);
    await waitFor("every stored message settled", async () => (await messagesNotSettledOnce()).length === 0, ONE_DRAIN_MS).catch(() => undefined);
    expect(await messagesNotSettledOnce()).toEqual([]);
    survivor = other;
  }, 150_000);

  it("takes order pushes over within a lease period when the pushing process is killed, and every order exists once at the supplier", async () => {
    expect(survivor, "the drain test leaves one gateway running").toBeDefined();
    const pusher = survivor;
    // Every S-11 answer comes later than the client waits: the pusher holds its orders, each outcome unknown, retrying.
    sim.sim.knobs.apply({
      endpoints: { submitOrder: { latencyMs: 1_500, faults: { "drop-after-work": 0.3 } }, confirmOrder: { faults: { "drop-after-work": 0.3 } } },
    });
    const skus = orderableSkus(sim.sim.exportTruth().products, AREA.province, 10).slice(0, ORDERS);
    expect(skus).toHaveLength(ORDERS);
    const yggcOrders: string[] = [];
    for (const t of skus) {
      const created = await container.orders.service.create(orderFile([{ sku: t.sku }], { supplier: CODE }), "user:takeover-test");
      if (!created.ok) throw created.error;
      yggcOrders.push(created.value.yggc_order);
    }
    // Only the survivor runs: every order it claims is its own.
    const owner = await waitFor(
      "the running process pushing the orders",
      async () => (await orderLeases()).find((o) => o.leaseOwner !== null && (o.leaseUntil ?? 0) > Date.now())?.leaseOwner,
      20_000,
    );
    const second = startGateway();
    await second.listening;
    const held = await waitFor(
      "orders still held by the first pusher",
      async () => {
        const mine = (await orderLeases()).filter((o) => o.leaseOwner === owner && (o.leaseUntil ?? 0) > Date.now());
        return mine.length > 0 ? mine : null;
      },
      20_000,
    );
    await killHard(pusher.process);
    const killedAt = Date.now();

    // The second process claims the orders the killed one held once their leases run out.
    const heldOrders = new Set(held.map((o) => o.yggcOrder));
    await waitFor(
      "the killed pusher's orders claimed by the other process",
      async () => (await orderLeases()).some((o) => heldOrders.has(o.yggcOrder) && o.leaseOwner !== null && o.leaseOwner !== owner),
      LEASE_MS + TAKEOVER_SLACK_MS + 4_000,
    );
    const takeoverMs = Date.now() - killedAt;
    expect(takeoverMs, `took over ${takeoverMs} ms after the kill`).toBeLessThanOrEqual(LEASE_MS + TAKEOVER_SLACK_MS + 2_000);

    // The supplier heals: every order ends confirmed, once at the supplier.
    sim.sim.knobs.reset();
    let last = await divergence(yggcOrders);
    const deadline = Date.now() + ONE_DRAIN_MS;
    while (last.length > 0 && Date.now() < deadline) {
      await sleep(500);
      last = await divergence(yggcOrders);
    }
    expect(last).toEqual([]);
    const atSupplier = sim.sim.exportTruth().orders.filter((o) => yggcOrders.includes(o.yggc_order));
    expect(atSupplier).toHaveLength(ORDERS);
    expect(new Set(atSupplier.map((o) => o.mall_order_id)).size).toBe(ORDERS);
    await killHard(second.process);
  }, 150_000);
});
