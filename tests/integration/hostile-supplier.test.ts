import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHANGED_FREIGHT_FEN, CHANGED_PRICE_FEN, TRANSIENT_WORDINGS } from "../../src/simulator/hostile-supplier.js";
import { hostileCases } from "../../src/simulator/simulator-knobs.js";
import type { OrderView } from "../../src/orders/order-service.js";
import { type PullerWorld, compareWithTruth, pullOnce, startPullerWorld } from "../helpers/puller-harness.js";
import { type OrderRig, orderFile, startOrderRig } from "../helpers/order-rig.js";

/**
 * The gateway's puller and order pusher against the reference supplier in hostile mode: malformed
 * messages at the head of every pool, script urls, changed S-11 answers, transient wordings,
 * unsigned refusals, duplicate and reused message ids. The pool must drain, the products must equal
 * the supplier's truth, and every case must end as issue 9 says.
 */

const ACTOR = "user:hostile-test";
const MAX_DRAINS = 8;
/** Past any backoff the puller gives a message that failed for a transient reason. */
const PAST_ANY_BACKOFF_MS = 15 * 60_000;

describe("hostile supplier: puller and order pusher", () => {
  let world: PullerWorld;
  const sim = () => world.sim.sim;
  const hostile = () => sim().exportTruth().hostile;

  /** Pulls until the supplier's pool is empty, at most MAX_DRAINS runs, each past the last one's backoffs. */
  async function drain(): Promise<number> {
    let runs = 0;
    while (runs < MAX_DRAINS) {
      if (runs > 0) world.gw.clock.advance(PAST_ANY_BACKOFF_MS);
      const summary = await pullOnce(world);
      runs++;
      // Drained when the supplier's pool is empty and nothing waits in the mall's inbox for a retry.
      if (sim().pool.pending() === 0 && summary.pendingInInbox === 0) break;
    }
    return runs;
  }

  beforeAll(async () => {
    world = await startPullerWorld({ products: 50, invalidShare: 0.1, offShelfShare: 0, knobs: { hostile: true } });
  });
  afterAll(() => world.close());

  it("starts with every hostile case on and malformed messages at the head of each type", () => {
    const h = hostile();
    expect(h.cases.sort()).toEqual([...hostileCases].sort());
    for (const type of [2, 4, 6, 16] as const) {
      const head = sim()
        .pool.page(type, 2)
        .map((m) => m.id);
      expect(head.length).toBe(2);
      for (const id of head) expect(h.unparseable.map((u) => u.id)).toContain(id);
    }
    expect(h.scriptUrlSkus.length).toBe(2);
    expect(Object.keys(h.changedAnswers).length).toBe(4);
    expect(h.transientOrderSku).not.toBeNull();
    expect(h.unsignedOrderSku).not.toBeNull();
    expect(h.unsignedDetailSku).not.toBeNull();
  });

  it("drains the pool, quarantines only the malformed messages with their reason, and matches the truth", async () => {
    const runs = await drain();
    // Changes after the first drain are published under ids the mall already deleted.
    sim().generator.tick(12);
    await drain();
    const h = hostile();
    expect.soft(sim().pool.pending(), `pool still holds messages after ${runs} + more runs`).toBe(0);
    expect.soft(await world.gw.container.repos.inbox.pendingCount(world.supplierId), "messages still waiting in the inbox").toBe(0);
    expect.soft(h.reusedIds.length).toBeGreaterThan(0);
    expect.soft(h.duplicatedIds.length).toBeGreaterThan(0);
    expect.soft(h.answered["transient-refusals"] ?? 0).toBeGreaterThanOrEqual(2 * TRANSIENT_WORDINGS.length);
    expect.soft(h.answered["unsigned-refusals"] ?? 0).toBeGreaterThanOrEqual(1);

    const quarantined = (await world.gw.container.sync.quarantined(world.code)) as Array<{
      messageId: string;
      lastError?: string | null;
      reason?: string | null;
    }>;
    const quarantinedIds = quarantined.map((q) => q.messageId).sort();
    expect.soft(quarantinedIds).toEqual(h.unparseable.map((u) => u.id).sort());
    for (const q of quarantined) expect.soft((q.reason ?? q.lastError ?? "").length, `message ${q.messageId} quarantined without a reason`).toBeGreaterThan(0);

    // Script urls rejected 5015, the unsigned 商品不存在 did not skip its add, every price and state current.
    expect.soft(await compareWithTruth(world)).toEqual([]);
    for (const sku of h.scriptUrlSkus) {
      const p = (await world.gw.container.repos.products.list(world.supplierId)).find((row) => row.sku === sku);
      expect.soft(p?.status, sku).toBe("rejected");
      expect.soft((JSON.parse(p?.rejectionJson ?? "[]") as Array<{ code: number }>).map((r) => r.code)).toContain(5015);
    }
  });
});

describe("hostile supplier: order pusher", () => {
  let rig: OrderRig;
  const sim = () => rig.running.sim;
  const hostile = () => sim().exportTruth().hostile;

  beforeAll(async () => {
    // The products as the puller stores them, so these cases test the pusher alone.
    rig = await startOrderRig({
      sim: { products: 60, invalidShare: 0, offShelfShare: 0, knobs: { hostile: ["changed-submit-answers", "transient-refusals", "unsigned-refusals"] } },
    });
  });
  afterAll(() => rig.close());

  const service = () => rig.gw.container.orders.service;
  const simOrders = (yggcOrder: string) =>
    sim()
      .exportTruth()
      .orders.filter((o) => o.yggc_order === yggcOrder);

  async function order(sku: string, num = 1): Promise<OrderView> {
    const created = await service().create(orderFile([{ sku, num }], {}), ACTOR);
    if (!created.ok) throw created.error;
    return created.value;
  }

  /** Pushes until the order is confirmed or failed, as the scheduler would over its backoff. */
  async function pushToEnd(yggcOrder: string, times = 8): Promise<OrderView> {
    let last: OrderView | undefined;
    for (let i = 0; i < times; i++) {
      const pushed = await service().push(yggcOrder, ACTOR);
      if (!pushed.ok) throw pushed.error;
      last = pushed.value;
      if (last.state === "confirmed" || last.state === "failed") break;
    }
    if (!last) throw new Error("never pushed");
    return last;
  }

  const shown = async (yggcOrder: string): Promise<string> => {
    const s = await service().show(yggcOrder);
    if (!s.ok) throw s.error;
    return JSON.stringify(s.value);
  };
  const figure = (fen: number) => new RegExp(`(?<![\\d.])(${fen}|${(fen / 100).toFixed(2)}|${fen / 100})(?![\\d])`);

  it("an S-11 answer with other freight, line price, quantity or sku set fails the order with the supplier's figures, and no S-12 is sent", async () => {
    for (const [sku, change] of Object.entries(hostile().changedAnswers)) {
      const num = change === "quantity" ? 3 : 1;
      const created = await order(sku, num);
      const ended = await pushToEnd(created.yggc_order);
      expect(ended.state, `${change}: ${JSON.stringify(ended)}`).toBe("failed");
      const atSupplier = simOrders(created.yggc_order);
      expect(atSupplier.length, change).toBe(1);
      expect(atSupplier[0]?.state, `${change}: S-12 was sent`).toBe("submitted");
      expect(atSupplier[0]?.confirmCount ?? -1).toBe(0);
      const recorded = await shown(created.yggc_order);
      if (change === "freight") expect(recorded, change).toMatch(figure(created.freightFen + CHANGED_FREIGHT_FEN));
      if (change === "line-price") expect(recorded, change).toMatch(figure((created.lines[0]?.priceFen ?? 0) + CHANGED_PRICE_FEN));
      if (change === "quantity") expect(recorded, change).toMatch(/"num"\s*:\s*4\b/);
      if (change === "sku-set") {
        const stranger = sim()
          .products.all()
          .find((p) => p.inPool && p.sku !== sku);
        expect(recorded, change).toContain(`"${stranger?.sku}"`);
      }
    }
  });

  it("transient wordings on S-11 are retried until the order is confirmed, once at the supplier", async () => {
    const sku = hostile().transientOrderSku ?? "";
    const created = await order(sku);
    const ended = await pushToEnd(created.yggc_order);
    expect(ended.state, JSON.stringify(ended)).toBe("confirmed");
    const atSupplier = simOrders(created.yggc_order);
    expect(atSupplier.length).toBe(1);
    expect(atSupplier[0]?.state).toBe("confirmed");
  });

  it("an unsigned 已下架 never fails an order for good: it ends confirmed", async () => {
    const sku = hostile().unsignedOrderSku ?? "";
    const created = await order(sku);
    const ended = await pushToEnd(created.yggc_order);
    expect(ended.state, JSON.stringify(ended)).toBe("confirmed");
    expect(simOrders(created.yggc_order).map((o) => o.state)).toEqual(["confirmed"]);
  });
});

describe("hostile mode from outside", () => {
  it("npm run simulator -- --hostile starts with every case on; /_sim/knobs turns cases off and on", async () => {
    const child: ChildProcess = spawn(
      process.execPath,
      ["--import", "tsx", "src/simulator/main.ts", "--port", "0", "--products", "20", "--hostile", "--log-level", "warn"],
      {
        cwd: join(import.meta.dirname, "../.."),
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = "";
        child.stdout?.on("data", (chunk: Buffer) => {
          out += chunk.toString();
          const m = /listening on (http:\/\/\S+)/.exec(out);
          if (m?.[1]) resolve(m[1]);
        });
        child.once("exit", (code) => reject(new Error(`simulator exited ${code}: ${out}`)));
      });
      const knobs = (await (await fetch(`${url}/_sim/knobs`)).json()) as { hostile: string[] };
      expect(knobs.hostile.sort()).toEqual([...hostileCases].sort());
      const messages = (await (await fetch(`${url}/_sim/messages`)).json()) as Array<{ id: string; type: number; result: unknown }>;
      const firstOfType2 = messages.filter((m) => m.type === 2)[0];
      expect(firstOfType2?.result).toEqual({ skuId: "1", price: null });
      const put = await fetch(`${url}/_sim/knobs`, {
        method: "PUT",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ hostile: ["transient-refusals"] }),
      });
      expect(((await put.json()) as { hostile: string[] }).hostile).toEqual(["transient-refusals"]);
      const bad = await fetch(`${url}/_sim/knobs`, {
        method: "PUT",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ hostile: ["no-such-case"] }),
      });
      expect(bad.status).toBe(400);
      const truth = (await (await fetch(`${url}/_sim/truth`)).json()) as { hostile: { unparseable: unknown[] } };
      expect(truth.hostile.unparseable.length).toBe(8);
    } finally {
      child.kill("SIGTERM");
    }
  });
});
