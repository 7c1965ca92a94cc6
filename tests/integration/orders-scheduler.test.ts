import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSupplierConnections } from "../../src/connections/supplier-connections.js";
import { silentLogger } from "../../src/lib/logger.js";
import { type OrderModuleDeps, createOrderModule } from "../../src/orders/order-module.js";
import { createProductionGate } from "../../src/conformance/production-gate.js";
import { createConformanceRepo } from "../../src/store/repos/conformance-repo.js";
import { createAccountRepo } from "../../src/store/repos/account-repo.js";
import { createOrderRepo } from "../../src/store/repos/order-repo.js";
import { createProductRepo } from "../../src/store/repos/product-repo.js";
import { createReferenceRepo } from "../../src/store/repos/reference-repo.js";
import { createConnectionRepo } from "../../src/store/repos/connection-repo.js";
import { orderableSkus } from "../helpers/order-products.js";
import { AREA, type OrderRig, openGatewayStore, orderFile, startOrderRig } from "../helpers/order-rig.js";

/**
 * Long enough for 200 orders on a busy machine: on PostgreSQL each of a push's writes is a round
 * trip that holds this one process (simulator included) while it waits.
 */
const TWO_HUNDRED_PUSHES_MS = 90_000;
const realClock = { now: Date.now, advance: () => undefined, set: () => undefined };

describe("order scheduler and staff retry", () => {
  let rig: OrderRig;
  let skus: string[];
  const cleanups: Array<() => Promise<void>> = [];

  /** A pusher process of its own over the same database. */
  const processModule = async (policy: OrderModuleDeps["policy"] = {}) => {
    const c = rig.gw.container;
    const store = await openGatewayStore(rig.gw);
    const accounts = createAccountRepo(store.sql);
    const connections = createSupplierConnections({
      accounts,
      repo: createConnectionRepo(store.sql),
      keys: c.keys,
      platformCode: c.config.PLATFORM_CODE,
      logger: silentLogger(),
    });
    cleanups.push(async () => {
      await connections.closeAll();
      store.close();
    });
    return createOrderModule({
      repo: createOrderRepo(store.sql),
      accounts,
      products: createProductRepo(store.sql),
      reference: createReferenceRepo(store.sql),
      keys: c.keys,
      connections,
      clock: Date.now,
      logger: silentLogger(),
      gate: createProductionGate(createConformanceRepo(store.sql), Date.now),
      policy,
    });
  };
  const create = async (sku: string) => {
    const created = await rig.gw.container.orders.service.create(orderFile([{ sku }]), "user:test");
    if (!created.ok) throw created.error;
    return created.value;
  };

  beforeAll(async () => {
    rig = await startOrderRig({ clock: realClock, sim: { products: 200, offShelfShare: 0 } });
    skus = orderableSkus(rig.running.sim.exportTruth().products, AREA.province, 40).map((t) => t.sku);
  });
  afterAll(async () => {
    for (const cleanup of cleanups) await cleanup();
    await rig.close();
  });

  it(
    "two processes pushing at once never push the same order twice",
    async () => {
      const created = [];
      for (let i = 0; i < 200; i++) created.push(await create(skus[i % skus.length] ?? ""));
      const a = (await processModule()).scheduler({ concurrency: 8, intervalMs: 5 });
      const b = (await processModule()).scheduler({ concurrency: 8, intervalMs: 5 });
      a.start();
      b.start();
      const until = Date.now() + TWO_HUNDRED_PUSHES_MS;
      while ((await rig.gw.container.orders.service.counts()).confirmed < created.length && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      await Promise.all([a.stop(), b.stop()]);

      const mine = new Set(created.map((o) => o.yggc_order));
      const simOrders = rig.running.sim.exportTruth().orders.filter((o) => mine.has(o.yggc_order));
      expect(simOrders).toHaveLength(created.length);
      // Without faults each order is pushed by exactly one process: one submit, one confirm.
      expect(simOrders.every((o) => o.submitCount === 1 && o.confirmCount === 1)).toBe(true);
      const actors = new Set(
        (
          await Promise.all(
            created.map(async (o) => {
              const shown = await rig.gw.container.orders.service.show(o.yggc_order);
              return shown.ok ? shown.value.timeline.filter((e) => e.step !== "create").map((e) => e.actor) : [];
            }),
          )
        ).flat(),
      );
      expect(actors).toEqual(new Set(["scheduler"]));
    },
    TWO_HUNDRED_PUSHES_MS + 30_000,
  );

  it("gives up after the last attempt with the unknown outcome as reason, and staff retry resubmits the same yggc_order", async () => {
    const order = await create(skus[0] ?? "");
    const impatient = await processModule({ maxAttempts: 1 });
    rig.running.sim.knobs.inject("submitOrder", "drop-after-work", 3);
    const pushed = await impatient.service.push(order.yggc_order, "user:test");
    expect(pushed.ok && pushed.value).toMatchObject({ state: "failed", failure: { kind: "gave_up" } });
    expect(pushed.ok && pushed.value.failure?.reason).toContain("outcome unknown");

    const refusedRetry = await rig.gw.container.orders.service.retry("TJ-NO-SUCH", "user:test");
    expect(refusedRetry.ok).toBe(false);
    const retried = await rig.gw.container.orders.service.retry(order.yggc_order, "user:staff");
    expect(retried.ok && retried.value.state).toBe("confirmed");
    const atSupplier = rig.running.sim.exportTruth().orders.filter((o) => o.yggc_order === order.yggc_order);
    expect(atSupplier).toHaveLength(1);
    expect(atSupplier[0]?.submitCount).toBe(4);
    const shown = await rig.gw.container.orders.service.show(order.yggc_order);
    expect(shown.ok && shown.value.timeline.some((e) => e.step === "retry" && e.actor === "user:staff" && e.fromState === "failed")).toBe(true);
  });

  it("the scheduler retries a transient refusal after its backoff, waits out a paused supplier, and pushes it once resumed", async () => {
    const waitFor = async (done: () => Promise<boolean>, ms: number) => {
      const until = Date.now() + ms;
      while (!(await done()) && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      return done();
    };
    const service = rig.gw.container.orders.service;
    const stateOf = async (y: string) => {
      const shown = await service.show(y);
      return shown.ok ? shown.value.state : null;
    };
    const transient = await create(skus[1] ?? "");
    const blocked = await create(skus[2] ?? "");
    const scheduler = (await processModule({ baseDelayMs: 200, maxDelayMs: 400 })).scheduler({ concurrency: 1, intervalMs: 20 });
    const knobs = rig.running.sim.knobs;
    knobs.refuseNext("submitOrder", { code: 5099, desc: "服务繁忙，请稍后重试" }, 3);
    scheduler.start();
    try {
      expect(await waitFor(async () => (await stateOf(transient.yggc_order)) === "confirmed", 20_000)).toBe(true);
      const shown = await service.show(transient.yggc_order);
      const submits = shown.ok ? shown.value.timeline.filter((e) => e.step === "submit" && e.actor === "scheduler") : [];
      expect(submits.some((e) => e.errorKind === "refused" && e.toState === "submitting")).toBe(true);
      expect(await waitFor(async () => (await stateOf(blocked.yggc_order)) === "confirmed", 20_000)).toBe(true);

      // 5013 for the next order: the supplier pauses, the order waits unfailed while the scheduler runs on.
      const paused = await create(skus[3] ?? "");
      knobs.refuseNext("submitOrder", { code: 5013, desc: "platformCode 无效" }, 1);
      expect(await waitFor(async () => (await service.pauses()).length === 1, 20_000)).toBe(true);
      await new Promise((r) => setTimeout(r, 300));
      expect(await stateOf(paused.yggc_order)).toBe("submitting");
      expect((await service.resume(rig.supplier.code)).ok).toBe(true);
      expect(await waitFor(async () => (await stateOf(paused.yggc_order)) === "confirmed", 20_000)).toBe(true);
      for (const o of [transient, blocked, paused]) expect(rig.running.sim.exportTruth().orders.filter((x) => x.yggc_order === o.yggc_order)).toHaveLength(1);
    } finally {
      await scheduler.stop();
    }
  });
});
