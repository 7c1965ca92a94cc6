import { createServer } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { createContainer } from "../../src/container.js";
import { SignMode } from "../../src/contract/index.js";
import { silentLogger } from "../../src/lib/logger.js";
import { stopGracefully } from "../../src/ops/graceful-stop.js";
import { TEST_ACCOUNT } from "../helpers/simulator-harness.js";
import { type PullerWorld, compareWithTruth, startPullerWorld } from "../helpers/puller-harness.js";
import { rawSql } from "../helpers/raw-sql.js";

let world: PullerWorld | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

const MAX_CONCURRENT = 4;
const PRODUCTS = 600;

describe("a pull stopped for shutdown", () => {
  it("sends no single-sku read after the stop beyond those already in flight, settles nothing as failed for it, and the next run finishes exactly once", async () => {
    // Slow reads and many products: three groups of 100 skus are reading when the stop comes.
    world = await startPullerWorld({
      products: PRODUCTS,
      invalidShare: 0.1,
      knobs: { endpoints: { detail: { latencyMs: 40 }, attributes: { latencyMs: 40 } } },
    });
    const { gw, sim, code, supplierId } = world;
    await gw.container.supplierConnections.connect({
      code,
      baseUrl: sim.url,
      ...TEST_ACCOUNT,
      signMode: SignMode.HmacSha256,
      qps: 1000,
      maxConcurrent: MAX_CONCURRENT,
      timeoutMs: 5_000,
    });
    const reads = () => (sim.sim.knobs.admitted.get("detail") ?? 0) + (sim.sim.knobs.admitted.get("attributes") ?? 0);
    const db = rawSql(gw.container.store);
    const settled = async () => Number(await db.value("SELECT COUNT(*) FROM message_inbox WHERE supplier_id = ? AND status <> 'pending'", supplierId));

    const run = gw.container.sync.pull(code, "manual");
    const until = Date.now() + 60_000;
    while ((await settled()) === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    expect(await settled()).toBeGreaterThan(0);

    const readsAtStop = reads();
    await gw.container.sync.runner.stop();
    // Those already on the wire finish (each with at most one retry); nothing new starts.
    expect(reads() - readsAtStop).toBeLessThanOrEqual(2 * MAX_CONCURRENT);

    const attempt = await run;
    if (!attempt.ran) throw new Error("the pull did not run");
    const summary = attempt.summary;
    expect(summary.status).toBe("partial");
    expect(summary.errors.map((e) => e.kind)).toContain("stopped");
    expect(summary.pendingInInbox).toBeGreaterThan(0);
    // The withheld reads left their messages pending: none was settled as failed for the stop.
    expect(Object.values(summary.counts).reduce((n, c) => n + c.failed, 0)).toBe(0);
    expect(await db.value("SELECT COUNT(*) FROM sync_message_logs WHERE outcome = 'failed'")).toBe(0);
    expect(await db.value("SELECT COUNT(*) FROM sync_leases")).toBe(0);

    // Restarted on the same database (a stopped runner takes no more work): the next run applies
    // what was left, and no message is applied twice.
    const restarted = await createContainer(gw.config, silentLogger());
    try {
      const next = await restarted.sync.pull(code, "manual");
      if (!next.ran) throw new Error("the lease was not handed back");
      expect(next.summary).toMatchObject({ status: "succeeded", pendingInInbox: 0 });
      expect(await compareWithTruth(world)).toEqual([]);
      expect(
        await db.value(
          "SELECT COUNT(*) FROM (SELECT message_id FROM sync_message_logs WHERE outcome IN ('applied', 'rejected') GROUP BY message_id HAVING COUNT(*) > 1) AS doubled",
        ),
      ).toBe(0);
      expect(await db.value("SELECT COUNT(DISTINCT message_id) FROM sync_message_logs WHERE outcome IN ('applied', 'rejected')")).toBe(PRODUCTS);
    } finally {
      await restarted.supplierConnections.closeAll();
      restarted.close();
    }
  }, 120_000);

  it("hands back every call slot this instance holds when it stops, not after the slots' leases", async () => {
    world = await startPullerWorld({ products: 20 });
    const { gw, sim, supplierId } = world;
    // Another instance on the same database, which reads the slots after this one has closed its store.
    const other = await createContainer(gw.config, silentLogger());
    const held = async () =>
      Number(
        await rawSql(other.store).value(
          "SELECT COUNT(*) FROM supplier_call_slots WHERE supplier_id = ? AND holder IS NOT NULL AND lease_until > ?",
          supplierId,
          Date.now(),
        ),
      );
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    try {
      // Slots as calls that never came back hold them (a supplier answering after the grace):
      // their leases would keep them from every instance for a minute.
      for (let i = 0; i < 3; i++) expect(await gw.container.repos.callBudget.claimSlot(supplierId, MAX_CONCURRENT, 60_000)).not.toBeNull();
      const theirs = await other.repos.callBudget.claimSlot(supplierId, MAX_CONCURRENT, 60_000);
      expect(await held()).toBe(4);

      const { released } = await stopGracefully({ server, container: gw.container, jobs: null, maintenance: { stop: () => undefined } }, 300);
      expect(released.callSlots).toBe(3);
      // The other instance's slot is its own, still held.
      expect(await held()).toBe(1);
      if (theirs) await other.repos.callBudget.releaseSlot(supplierId, theirs);
      expect(await held()).toBe(0);
    } finally {
      other.close();
    }
    // The stop closed the gateway's store and clients: the world's own close must not do it again.
    world = {
      ...world,
      close: async () => {
        await gw.close().catch(() => undefined);
        await sim.close();
      },
    };
  }, 60_000);
});
