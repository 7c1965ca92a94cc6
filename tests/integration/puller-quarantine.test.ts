import { afterEach, describe, expect, it } from "vitest";
import { formatBeijingTimestamp } from "../../src/contract/index.js";
import { type PullerWorld, compareWithTruth, pullOnce, startPullerWorld } from "../helpers/puller-harness.js";
import { runCliAsync } from "../helpers/run-cli.js";

let world: PullerWorld | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

const PASSWORD = "correct horse battery staple";
/** A value that must never reach a reason: it is what personal data in a bad message looks like. */
const MOBILE = "13812345678";

async function adminGet(w: PullerWorld, path: string): Promise<{ status: number; body: unknown }> {
  await w.gw.container.admin.users.create({ username: "admin1", role: "admin", password: PASSWORD });
  const login = await fetch(`${w.gw.url}/admin/api/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username: "admin1", password: PASSWORD }),
  });
  const cookie = (login.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
  const res = await fetch(`${w.gw.url}/admin/api${path}`, { headers: { cookie } });
  return { status: res.status, body: await res.json() };
}

type Entry = { messageId: string; type: number; sku: string; unparseable: boolean; reason: string; raw: unknown };

describe("a message that breaks the contract (issue 9.1)", () => {
  it("is quarantined raw with its reason and deleted, while the rest of its page applies", async () => {
    world = await startPullerWorld({ products: 20, invalidShare: 0 });
    await pullOnce(world);
    const { pool, products, changes } = world.sim.sim;
    const [a, b, c, d, e] = products.all();
    if (!a || !b || !c || !d || !e) throw new Error("too few products");
    const time = formatBeijingTimestamp(Date.now());
    // At the head of their pools, before the ordinary messages that follow.
    pool.publishRaw(2, { id: "900001", type: 2, time, result: { skuId: a.sku, price: null } });
    pool.publishRaw(6, { id: "900002", type: 6, time, result: { skuId: b.sku, state: 3 } });
    pool.publishRaw(6, { id: "900003", type: 6, time, result: { state: 1, name: MOBILE } });
    pool.publishRaw(4, { id: "900004", type: 4, time, result: MOBILE });
    pool.publishRaw(16, { id: "900005", type: 16, time, result: [{ skuId: c.sku }] });
    for (const p of [a, b, c, d]) changes.apply("price", p);
    changes.apply("shelf-off", e);

    const run = await pullOnce(world);
    expect(run.status).toBe("succeeded");
    expect(run.counts["2"]).toMatchObject({ received: 5, applied: 4, quarantined: 1 });
    expect(run.counts["6"]).toMatchObject({ received: 2, quarantined: 2 });
    expect(run.counts["4"]).toMatchObject({ received: 2, applied: 1, quarantined: 1 });
    expect(run.counts["16"]).toMatchObject({ received: 1, quarantined: 1 });
    expect(pool.pending()).toBe(0);
    expect(await compareWithTruth(world)).toEqual([]);

    const entries = (await world.gw.container.sync.quarantineEntries(world.code)) as Entry[];
    expect(entries.map((q) => q.messageId).sort()).toEqual(["900001", "900002", "900003", "900004", "900005"]);
    const byId = new Map(entries.map((q) => [q.messageId, q]));
    expect(byId.get("900001")).toMatchObject({
      type: 2,
      sku: a.sku,
      unparseable: true,
      reason: "result.price: expected number",
      raw: { id: "900001", result: { skuId: a.sku, price: null } },
    });
    expect(byId.get("900002")).toMatchObject({ type: 6, sku: b.sku, reason: "result.state: 取值应为 1/2" });
    expect(byId.get("900003")).toMatchObject({ type: 6, sku: "", reason: "result.skuId: expected string" });
    expect(byId.get("900004")).toMatchObject({ type: 4, reason: "result: expected object", raw: { result: MOBILE } });
    expect(byId.get("900005")).toMatchObject({ type: 16, reason: "result: expected object" });
    const logged = await world.gw.container.sync.messageLogs({ supplier: world.code, outcome: "quarantined", limit: 10 });
    expect(logged.map((l) => l.messageId).sort()).toEqual(entries.map((q) => q.messageId).sort());
    // Reasons name the field and the rule, never a value the message carried.
    for (const q of entries) expect(q.reason).not.toContain(MOBILE);
    for (const l of logged) expect(l.reasonsJson).not.toContain(MOBILE);

    // The next run reads past them: nothing of them is left in the pool or retried.
    const next = await pullOnce(world);
    expect(next.counts).toEqual({});
    expect(next.callsByOperation.messagePool).toBe(4);
  });

  it("lists them in the CLI (ids, JSON last line) and the admin API (reason and raw body); a replay keeps them quarantined", async () => {
    world = await startPullerWorld({ products: 5, invalidShare: 0 });
    await pullOnce(world);
    const sku = world.sim.sim.products.all()[0]?.sku ?? "";
    world.sim.sim.pool.publishRaw(6, { id: "910001", type: 6, time: formatBeijingTimestamp(Date.now()), result: { skuId: sku, state: 3 } });
    await pullOnce(world);

    const cli = await runCliAsync(["sync", "quarantine", "--supplier", world.code, "--json"], {
      DATABASE_URL: world.gw.config.DATABASE_URL,
      DATA_ENCRYPTION_KEY_FILE: world.gw.config.DATA_ENCRYPTION_KEY_FILE,
    });
    expect(cli.status, cli.stderr).toBe(0);
    expect(cli.json).toMatchObject({ ok: true, messages: [{ messageId: "910001", type: 6, sku, unparseable: true, reason: "result.state: 取值应为 1/2" }] });

    const api = await adminGet(world, `/sync/quarantine?supplier=${world.code}`);
    expect(api.status).toBe(200);
    expect(api.body).toMatchObject({
      messages: [{ messageId: "910001", reason: "result.state: 取值应为 1/2", raw: { id: "910001", type: 6, result: { skuId: sku, state: 3 } } }],
    });

    const replay = await world.gw.container.sync.replay(world.code, "all-quarantined");
    expect(replay.requeued).toBe(1);
    if (!replay.attempt.ran) throw new Error("lease busy");
    expect(replay.attempt.summary.status).toBe("succeeded");
    expect(replay.attempt.summary.counts["6"]).toMatchObject({ quarantined: 1 });
    expect(replay.attempt.summary.callsByOperation.detail ?? 0).toBe(0);
    expect(await world.gw.container.sync.quarantineEntries(world.code)).toMatchObject([{ messageId: "910001", reason: "result.state: 取值应为 1/2" }]);
    expect(await world.gw.container.repos.inbox.pendingCount(world.supplierId)).toBe(0);
  });

  it("keeps a message without a usable id in quarantine and still drains the deletable rest", async () => {
    world = await startPullerWorld({ products: 3, invalidShare: 0 });
    await pullOnce(world);
    const { pool, products, changes } = world.sim.sim;
    const time = formatBeijingTimestamp(Date.now());
    pool.publishRaw(2, { type: 2, time, result: { skuId: "1" } });
    for (const p of products.all()) changes.apply("price", p);
    const run = await pullOnce(world);
    // The second page holds only that message again: read, known, nothing S-3 can take.
    expect(run.counts["2"]).toMatchObject({ received: 5, applied: 3, quarantined: 1 });
    expect(run.errors.at(-1)?.message).toContain("without an id S-3 can delete");
    const [entry] = await world.gw.container.sync.quarantineEntries(world.code);
    expect(entry).toMatchObject({ unparseable: true, reason: "id: expected string" });
    expect(entry?.messageId).toMatch(/^unidentified-[0-9a-f]{24}$/);
    // Only the supplier can take it out of its pool; it is stored once however often it comes back.
    expect(pool.pending(2)).toBe(1);
    const again = await pullOnce(world);
    expect(again.counts["2"]).toMatchObject({ received: 1 });
    expect(again.counts["2"]?.quarantined ?? 0).toBe(0);
    expect(again.errors.at(-1)?.message).toContain("without an id S-3 can delete");
    expect(await world.gw.container.sync.quarantineEntries(world.code)).toHaveLength(1);
    expect(await compareWithTruth(world)).toEqual([]);
  });
});
