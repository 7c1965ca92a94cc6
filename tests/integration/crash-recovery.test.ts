import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/config.js";
import { type Container, createContainer } from "../../src/container.js";
import { silentLogger } from "../../src/lib/logger.js";
import { createRandom } from "../../src/simulator/seeded-random.js";
import type { RunningSimulator } from "../../src/simulator/simulator-server.js";
import { nextCreditCode } from "../helpers/harness.js";
import { AREA, orderFile } from "../helpers/order-rig.js";
import { orderableSkus } from "../helpers/order-products.js";
import { killHard, spawnGateway } from "../helpers/gateway-process.js";
import { SIM_DOMAIN, divergenceFromSupplier } from "../helpers/puller-harness.js";
import { FIXTURES_DIR, TEST_ACCOUNT, launchSimulator } from "../helpers/simulator-harness.js";
import { testDatabaseUrl } from "../helpers/test-database.js";

/**
 * The real gateway process (src/main.ts), killed with SIGKILL at random moments while its
 * scheduler drains a faulty supplier and pushes orders whose answers get lost, restarted on the
 * same database each time (a SQLite file, or a PostgreSQL database in the postgres project).
 * Afterwards the products equal the supplier's truth, the pool is empty, and every order exists
 * exactly once at the supplier, confirmed — within one lease period plus one drain of the last restart.
 */

const SEED = Number(process.env.CRASH_SEED ?? 20221020);
const KILLS = 12;
const LEASE_MS = 2_000;
/** One drain of this pool with the supplier healthy again, generous for two shared cores. */
const ONE_DRAIN_MS = 25_000;
const ORDERS = 8;
const CODE = "CRASH";

let dir: string;
let env: Record<string, string>;
let sim: RunningSimulator;
let container: Container;
let supplierId: number;
const yggcOrders: string[] = [];
const orderedSkus: string[] = [];
const CHANGES = ["price", "price", "shelf-off", "shelf-on", "detail", "withdraw", "readd", "fix", "break", "add"] as const;
let child: ChildProcess | null = null;

async function gatewayEnv(): Promise<Record<string, string>> {
  return {
    DATABASE_URL: await testDatabaseUrl(dir),
    DATA_ENCRYPTION_KEY_FILE: join(dir, "master.key"),
    NODE_ENV: "test",
    HOST: "127.0.0.1",
    PORT: "0",
    LOG_LEVEL: "info",
    FIXTURES_DIR,
    PULL_LEASE_MS: String(LEASE_MS),
    ORDER_LEASE_MS: String(LEASE_MS),
    PULL_RETRY_BASE_MS: "300",
    ORDER_RETRY_BASE_MS: "300",
  };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const divergence = () => divergenceFromSupplier({ sim, container, supplierId }, yggcOrders);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "emall-crash-"));
  env = await gatewayEnv();
  sim = await launchSimulator({ products: 40, domain: SIM_DOMAIN, offShelfShare: 0 });
  // The centre's set-up, done once on the database the gateway process will use.
  container = await createContainer(loadConfig(env), silentLogger());
  await container.referenceLoader.seedIfEmpty(FIXTURES_DIR);
  await container.supplierAccounts.create({ code: CODE, name: "崩溃测试电商", creditCode: await nextCreditCode(), domains: [SIM_DOMAIN] });
  supplierId = (await container.repos.accounts.supplierByCode(CODE))?.id ?? -1;
  await container.supplierConnections.connect({
    code: CODE,
    baseUrl: sim.url,
    ...TEST_ACCOUNT,
    pullSchedule: "* * * * * *", // every second: a drain is always about to start or in flight
    stockSchedule: "0 0 1 1 *",
    qps: 1_000,
    maxConcurrent: 4,
    timeoutMs: 1_000,
  });
  // Crash recovery, not certification, is under test: the gate is waived with the reason recorded.
  await container.conformance.waive(CODE, "crash-recovery test of the reference supplier", "test:crash-recovery");
  // Orders need stored products; one pull with the supplier healthy, then the orders.
  const first = await container.sync.pull(CODE, "manual");
  expect(first.ran).toBe(true);
  const skus = orderableSkus(sim.sim.exportTruth().products, AREA.province, 10).slice(0, ORDERS);
  expect(skus.length).toBe(ORDERS);
  for (const t of skus) {
    const created = await container.orders.service.create(orderFile([{ sku: t.sku, num: 1 }], { supplier: CODE }), "user:crash-test");
    if (!created.ok) throw created.error;
    yggcOrders.push(created.value.yggc_order);
    orderedSkus.push(t.sku);
  }
  await container.supplierConnections.closeAll();
}, 120_000);

afterAll(async () => {
  if (child) await killHard(child);
  sim.sim.stop();
  await sim.close();
  container.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("crash recovery", () => {
  it(`converges after ${KILLS} SIGKILLs during drains and order pushes (seed ${SEED})`, async () => {
    const random = createRandom(SEED);
    // A supplier with faults, still changing its products, losing the answers of orders it took.
    sim.sim.knobs.apply({
      timeoutHoldMs: 1_500,
      endpoints: {
        "*": { faults: { "http-5xx": 0.05, timeout: 0.03, "malformed-json": 0.03, "drop-after-work": 0.05 } },
        submitOrder: { faults: { "drop-after-work": 0.5 } },
        confirmOrder: { faults: { "drop-after-work": 0.5 } },
        messageDelete: { faults: { "drop-after-work": 0.2 } },
      },
    });
    // Changes keep the pool busy; the ordered skus are left alone, so every order stays acceptable.
    const ordered = new Set(orderedSkus);
    const changing = setInterval(() => {
      const others = sim.sim.products.all().filter((p) => !ordered.has(p.sku));
      const kind = random.pick(CHANGES);
      sim.sim.changes.apply(kind, kind === "add" ? undefined : random.pick(others));
    }, 150);

    const deletedBefore = sim.sim.pool.all().filter((m) => m.deleted).length;
    const moments: number[] = [];
    for (let i = 0; i < KILLS; i++) {
      const gateway = spawnGateway(env);
      child = gateway.process;
      if (i % 4 === 3) {
        // During start-up: migrations, reference data, the first claims.
        const at = random.int(0, 1_500);
        moments.push(-at);
        await sleep(at);
      } else {
        // Anywhere in the scheduler's work: a drain, an S-11 whose answer is lost, a confirm.
        await gateway.listening;
        const at = random.int(200, 3_500);
        moments.push(at);
        await sleep(at);
      }
      await killHard(child);
      child = null;
    }

    // The killed processes did real work: messages deleted, orders at the supplier (some answers lost).
    expect(sim.sim.pool.all().filter((m) => m.deleted).length).toBeGreaterThan(deletedBefore);
    expect(sim.sim.exportTruth().orders.length).toBeGreaterThan(0);

    // The supplier heals and stops changing; the truth is fixed from here on.
    clearInterval(changing);
    sim.sim.knobs.reset();
    const restartedAt = Date.now();
    child = spawnGateway(env).process;
    const deadline = restartedAt + LEASE_MS + ONE_DRAIN_MS;
    let last = await divergence();
    while (last.length > 0 && Date.now() < deadline) {
      await sleep(500);
      last = await divergence();
    }
    const tookMs = Date.now() - restartedAt;
    expect(last, `not converged ${tookMs} ms after the last restart (kills at ${moments.join(", ")} ms after listening, negative: after spawn)`).toEqual([]);
    expect(tookMs).toBeLessThanOrEqual(LEASE_MS + ONE_DRAIN_MS);

    // Exactly once at the supplier: every order submitted under one supplier order, confirmed.
    const atSupplier = sim.sim.exportTruth().orders.filter((o) => yggcOrders.includes(o.yggc_order));
    expect(atSupplier.length).toBe(ORDERS);
    expect(new Set(atSupplier.map((o) => o.mall_order_id)).size).toBe(ORDERS);
    for (const y of yggcOrders) {
      const shown = await container.orders.service.show(y);
      expect(shown.ok && shown.value.mall_order_id).toBe(atSupplier.find((o) => o.yggc_order === y)?.mall_order_id);
    }
  }, 150_000);
});
