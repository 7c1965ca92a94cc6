import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSupplierConnections } from "../../src/connections/supplier-connections.js";
import { silentLogger } from "../../src/lib/logger.js";
import { createOrderModule } from "../../src/orders/order-module.js";
import { createProductionGate } from "../../src/conformance/production-gate.js";
import { createConformanceRepo } from "../../src/store/repos/conformance-repo.js";
import type { OrderScheduler } from "../../src/orders/order-scheduler.js";
import type { Store } from "../../src/store/database.js";
import { createAccountRepo } from "../../src/store/repos/account-repo.js";
import { createOrderRepo } from "../../src/store/repos/order-repo.js";
import { createProductRepo } from "../../src/store/repos/product-repo.js";
import { createReferenceRepo } from "../../src/store/repos/reference-repo.js";
import { createConnectionRepo } from "../../src/store/repos/connection-repo.js";
import { orderableSkus } from "../helpers/order-products.js";
import { AREA, type OrderRig, openGatewayStore, orderFile, startOrderRig } from "../helpers/order-rig.js";

const ORDERS = 1_000;
/** Probability per S-11/S-12 call; together about one call in five goes wrong. */
const FAULTS = { "drop-after-work": 0.1, "http-5xx": 0.06, timeout: 0.03 } as const;
/**
 * For the second pusher to settle what is left, generous for two shared cores: on PostgreSQL every
 * write is a round trip that holds this one process (simulator included) while it waits.
 */
const SETTLE_MS = 90_000;
const realClock = { now: Date.now, advance: () => undefined, set: () => undefined };

/** One pusher process: its own database connection, its own supplier clients, its own scheduler. */
async function startPusher(rig: OrderRig) {
  const c = rig.gw.container;
  const store: Store = await openGatewayStore(rig.gw);
  const accounts = createAccountRepo(store.sql);
  const connections = createSupplierConnections({
    accounts,
    repo: createConnectionRepo(store.sql),
    keys: c.keys,
    platformCode: c.config.PLATFORM_CODE,
    logger: silentLogger(),
  });
  const module = createOrderModule({
    repo: createOrderRepo(store.sql),
    accounts,
    products: createProductRepo(store.sql),
    reference: createReferenceRepo(store.sql),
    keys: c.keys,
    connections,
    clock: Date.now,
    logger: silentLogger(),
    gate: createProductionGate(createConformanceRepo(store.sql), Date.now),
    // Short enough for a test run; the lease still outlasts one step (3 × 500 ms timeouts + backoff).
    policy: { leaseMs: 4_000, baseDelayMs: 20, maxDelayMs: 400, maxAttempts: 40 },
  });
  const scheduler: OrderScheduler = module.scheduler({ concurrency: 32, intervalMs: 10 });
  scheduler.start();
  return {
    scheduler,
    /** A crash: no goodbye, no lease release; whatever was in flight never writes again. */
    kill() {
      void scheduler.stop();
      store.close();
      void connections.closeAll();
    },
    async stop() {
      await scheduler.stop();
      await connections.closeAll();
      store.close();
    },
  };
}

describe("order push fault run: 1,000 orders, dropped answers, 5xx, timeouts, a pusher crash", () => {
  let rig: OrderRig;

  beforeAll(async () => {
    rig = await startOrderRig({
      clock: realClock,
      timeoutMs: 500,
      maxConcurrent: 32,
      sim: { products: 400, offShelfShare: 0, knobs: { timeoutHoldMs: 2_000 } },
    });
  });
  afterAll(async () => {
    await rig.close();
  });

  it(
    "ends with every order confirmed or failed with a reason, one supplier order per yggc_order, none lost",
    async () => {
      const skus = orderableSkus(rig.running.sim.exportTruth().products, AREA.province, 60).map((t) => t.sku);
      expect(skus.length).toBeGreaterThan(50);
      const service = rig.gw.container.orders.service;
      const yggcOrders: string[] = [];
      for (let i = 0; i < ORDERS; i += 25) {
        const batch = await Promise.all(
          Array.from({ length: Math.min(25, ORDERS - i) }, (_, j) => service.create(orderFile([{ sku: skus[(i + j) % skus.length] ?? "" }]), "user:fault-run")),
        );
        for (const created of batch) {
          if (!created.ok) throw created.error;
          yggcOrders.push(created.value.yggc_order);
        }
      }
      // Two skus change price after intake: their orders must stop with 价格不一致, not be re-priced.
      const repriced = new Set(skus.slice(0, 2));
      for (const sku of repriced) {
        const p = rig.running.sim.products.get(sku);
        if (p) p.priceFen += 100;
      }
      rig.running.sim.knobs.apply({ endpoints: { submitOrder: { faults: FAULTS }, confirmOrder: { faults: FAULTS } } });

      const counts = () => rig.gw.container.orders.service.counts();
      const settled = async () => {
        const n = await counts();
        return n.confirmed + n.failed;
      };
      const waitFor = async (done: () => Promise<boolean>, ms: number) => {
        const until = Date.now() + ms;
        while (!(await done()) && Date.now() < until) await new Promise((r) => setTimeout(r, 25));
      };

      const first = await startPusher(rig);
      await waitFor(async () => (await settled()) >= ORDERS * 0.4, 30_000);
      const inFlightAtCrash = first.scheduler.inFlight;
      first.kill();
      const atCrash = await counts();

      const second = await startPusher(rig);
      await waitFor(async () => (await settled()) === ORDERS, SETTLE_MS);
      await second.stop();
      rig.running.sim.knobs.reset();

      const final = await counts();
      expect(inFlightAtCrash).toBeGreaterThan(0);
      expect(atCrash.confirmed + atCrash.failed).toBeLessThan(ORDERS);
      expect(final.confirmed + final.failed).toBe(ORDERS);

      const show = async (y: string) => {
        const shown = await service.show(y);
        if (!shown.ok) throw shown.error;
        return shown.value;
      };
      const gateway: Array<Awaited<ReturnType<typeof show>>> = [];
      for (const y of yggcOrders) gateway.push(await show(y));
      const simOrders = rig.running.sim.exportTruth().orders;
      const simByYggc = new Map<string, typeof simOrders>();
      for (const o of simOrders) simByYggc.set(o.yggc_order, [...(simByYggc.get(o.yggc_order) ?? []), o]);

      for (const o of gateway) {
        const atSupplier = simByYggc.get(o.yggc_order) ?? [];
        expect(atSupplier.length, o.yggc_order).toBeLessThanOrEqual(1);
        if (o.state === "confirmed") {
          expect(atSupplier[0]?.state, o.yggc_order).toBe("confirmed");
          expect(atSupplier[0]?.mall_order_id, o.yggc_order).toBe(o.mall_order_id);
        } else {
          expect(o.failure?.reason, o.yggc_order).toBeTruthy();
        }
      }
      // Exactly the orders the gateway holds a supplier order id for exist at the supplier.
      expect(simOrders).toHaveLength(gateway.filter((o) => o.mall_order_id !== null).length);
      // Nothing at the supplier that the gateway does not know of.
      const known = new Set(yggcOrders);
      expect(simOrders.filter((o) => !known.has(o.yggc_order))).toHaveLength(0);
      // The faults really fired: resubmits and reconfirms happened.
      expect(simOrders.reduce((n, o) => n + o.submitCount, 0)).toBeGreaterThan(simOrders.length);
      expect(simOrders.reduce((n, o) => n + o.confirmCount, 0)).toBeGreaterThan(simOrders.length);
      // Exactly the repriced skus' orders failed, refused with the supplier's words (none gave up).
      const failed = gateway.filter((o) => o.state === "failed");
      expect(failed.length).toBeGreaterThan(0);
      expect(failed.every((o) => o.failure?.kind === "refused" && o.failure.reason?.includes("价格不一致") && o.priceCheck !== null)).toBe(true);
      expect(new Set(failed.map((o) => o.lines[0]?.sku))).toEqual(repriced);
      expect(gateway.filter((o) => repriced.has(o.lines[0]?.sku ?? "")).every((o) => o.state === "failed")).toBe(true);
      expect(final.confirmed).toBeGreaterThan(ORDERS * 0.9);
    },
    120_000 + SETTLE_MS,
  );
});
