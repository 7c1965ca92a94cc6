import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Store } from "../../src/store/database.js";
import { type NewOrderRow, type OrderState, createOrderRepo } from "../../src/store/repos/order-repo.js";
import { type TestGateway, nextCreditCode, startTestGateway } from "../helpers/harness.js";
import { AREA, openGatewayStore } from "../helpers/order-rig.js";
import { rawSql } from "../helpers/raw-sql.js";
import { onPostgres } from "../helpers/test-database.js";

const ROOT = join(import.meta.dirname, "../..");
const LEASE_MS = 60_000;

/**
 * The order leases themselves, below the pusher: every due order is claimed by one pusher, oldest
 * due first, and never one that is leased, paused, settled or not yet due; pushers in several
 * processes claiming at the same moment never share an order, and on PostgreSQL never wait on each other.
 */
describe("order claims (one push lease per order)", () => {
  let gw: TestGateway;
  let supplierId: number;
  let pausedSupplierId: number;
  const stores: Store[] = [];
  let serial = 0;

  const T0 = 1_900_000_000_000;
  const repo = () => createOrderRepo(gw.container.store.sql);
  const orderRow = (over: Partial<NewOrderRow> = {}): NewOrderRow => {
    serial += 1;
    return {
      id: `ord_claim_${serial}`,
      yggcOrder: `TJCLAIM${String(serial).padStart(8, "0")}`,
      supplierId,
      state: "created",
      linesJson: "[]",
      goodsFen: 100,
      freightFen: 0,
      orderPriceFen: 100,
      ...AREA,
      consigneeEnc: "sealed",
      invoiceType: 1,
      invoiceTitle: "天津市和平区教育局",
      invoiceOrgCode: "11120101MB1234567X",
      payment: 2,
      nextAttemptAt: T0,
      createdBy: "user:claims-test",
      createdAt: T0,
      updatedAt: T0,
      ...over,
    };
  };
  const insert = async (over: Partial<NewOrderRow> = {}): Promise<string> => {
    const row = orderRow(over);
    if (!(await repo().insert(row, { at: T0, actor: "user:claims-test", fromState: null, toState: (row.state ?? "created") as OrderState, step: "create" })))
      throw new Error("not inserted");
    return row.id;
  };
  /** Settles every order left open by an earlier test, so each test sees only its own. */
  const settleAll = async () => {
    const open = await rawSql(gw.container.store).all<{ id: string }>("SELECT id FROM orders WHERE state <> 'confirmed'");
    for (const { id } of open) {
      await repo().claim(id, "cleanup", T0 * 2, 1);
      await repo().apply(id, "cleanup", T0 * 2, 1, { state: "confirmed" }, null);
    }
  };

  beforeAll(async () => {
    gw = await startTestGateway();
    for (const code of ["CLAIMS", "CLAIMSP"]) {
      await gw.container.supplierAccounts.create({
        code,
        name: `领用测试电商 ${code}`,
        creditCode: await nextCreditCode(),
        domains: [`${code.toLowerCase()}.example.cn`],
      });
    }
    supplierId = (await gw.container.repos.accounts.supplierByCode("CLAIMS"))?.id ?? -1;
    pausedSupplierId = (await gw.container.repos.accounts.supplierByCode("CLAIMSP"))?.id ?? -1;
  });
  afterAll(async () => {
    for (const s of stores) s.close();
    await gw.close();
  });

  it("two pushers on their own connections share the due orders: oldest first, each order to one of them, none leased, paused, settled or not yet due", async () => {
    await settleAll();
    const due: string[] = [];
    for (let i = 0; i < 12; i++) due.push(await insert({ nextAttemptAt: T0 + 1_000 - i * 10 }));
    due.reverse(); // oldest due first
    const expiredLease = await insert({ state: "submitting", nextAttemptAt: T0 + 500, leaseOwner: "dead-pusher", leaseUntil: T0 + 999 });
    const leased = await insert({ state: "confirming", nextAttemptAt: T0, leaseOwner: "live-pusher", leaseUntil: T0 + LEASE_MS * 2 });
    const notYetDue = await insert({ nextAttemptAt: T0 + 5_000 });
    const settled = [await insert({ state: "confirmed" }), await insert({ state: "failed", failureKind: "refused" })];
    await repo().pause({ supplierId: pausedSupplierId, since: T0, code: 5013, reason: "test pause", yggcOrder: null });
    const paused = await insert({ supplierId: pausedSupplierId });

    const other = await openGatewayStore(gw);
    stores.push(other);
    const now = T0 + 1_000;
    const first = await repo().claimDue("pusher-a", now, LEASE_MS, 5);
    const second = await createOrderRepo(other.sql).claimDue("pusher-b", now, LEASE_MS, 100);

    // The order whose lease expired is the oldest due (T0 + 500), then the twelve.
    const expected = [expiredLease, ...due];
    expect(first.map((o) => o.id)).toEqual(expected.slice(0, 5));
    expect(second.map((o) => o.id)).toEqual(expected.slice(5));
    expect(first.every((o) => o.leaseOwner === "pusher-a" && o.leaseUntil === now + LEASE_MS)).toBe(true);
    expect(second.every((o) => o.leaseOwner === "pusher-b")).toBe(true);
    for (const id of [leased, notYetDue, ...settled, paused]) {
      expect([...first, ...second].map((o) => o.id)).not.toContain(id);
    }
    expect((await repo().byId(leased))?.leaseOwner).toBe("live-pusher");
    // Everything due is held now: a third look finds nothing.
    expect(await repo().claimDue("pusher-c", now, LEASE_MS, 100)).toEqual([]);
    await repo().resume(pausedSupplierId);
  });

  it.runIf(onPostgres)(
    "passes over an order another instance is claiming at this moment instead of waiting for it, and claims it once that claim is done",
    async () => {
      await settleAll();
      const busy = await insert({ nextAttemptAt: T0 });
      const free = await insert({ nextAttemptAt: T0 + 1 });
      // Another instance's claim, caught between picking the row and committing its lease.
      const other = new pg.Client({ connectionString: gw.config.DATABASE_URL });
      await other.connect();
      try {
        await other.query("BEGIN");
        await other.query("SELECT id FROM orders WHERE id = $1 FOR UPDATE", [busy]);
        const started = performance.now();
        const claimed = await repo().claimDue("pusher-a", T0 + 1_000, LEASE_MS, 10);
        const tookMs = performance.now() - started;
        expect(claimed.map((o) => o.id)).toEqual([free]);
        // The store waits up to 5 s for a lock; passing over the row means no wait at all.
        expect(tookMs).toBeLessThan(2_500);
        await other.query("COMMIT");
      } finally {
        await other.end();
      }
      expect((await repo().claimDue("pusher-a", T0 + 1_000, LEASE_MS, 10)).map((o) => o.id)).toEqual([busy]);
    },
  );

  it("pushers in four processes claiming at once take every due order exactly once", async () => {
    await settleAll();
    const ORDERS = 240;
    const ids = new Set<string>();
    for (let i = 0; i < ORDERS; i++) ids.add(await insert({ nextAttemptAt: Date.now() - 60_000 + (i % 7) }));
    const claimers = ["p1", "p2", "p3", "p4"].map((owner) => startClaimer(gw.config.DATABASE_URL, owner));
    try {
      await Promise.all(claimers.map((c) => c.ready));
      for (const c of claimers) c.go();
      const results = await Promise.all(claimers.map((c) => c.done));
      const all = results.flatMap((r) => r.ids);
      expect(all.length).toBe(ORDERS);
      expect(new Set(all)).toEqual(ids);
      // They really raced: more than one process claimed orders.
      expect(results.filter((r) => r.ids.length > 0).length).toBeGreaterThan(1);
      for (const r of results) for (const id of r.ids) expect((await repo().byId(id))?.leaseOwner).toBe(r.owner);
    } finally {
      for (const c of claimers) c.process.kill("SIGKILL");
    }
  }, 180_000);
});

/** One claimer process (tests/helpers/order-claimer.ts); `done` has the ids it claimed. */
function startClaimer(url: string, owner: string) {
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", "tests/helpers/order-claimer.ts", url, owner, "3"], {
    cwd: ROOT,
    stdio: ["pipe", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  let onReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (onReady = resolve));
  child.stdout?.on("data", (c: Buffer) => {
    out += c.toString();
    if (out.startsWith("ready\n")) onReady();
  });
  child.stderr?.on("data", (c: Buffer) => (err = (err + c.toString()).slice(-4_000)));
  const done = new Promise<{ owner: string; ids: string[] }>((resolve, reject) => {
    child.once("exit", (code) => {
      if (code !== 0) return reject(new Error(`claimer ${owner} exited ${code}: ${err}`));
      const ids = out
        .split("\n")
        .slice(1)
        .filter((l) => l.trim())
        .flatMap((l) => JSON.parse(l) as string[]);
      resolve({ owner, ids });
    });
  });
  const failedEarly = new Promise<void>((_, reject) =>
    child.once("exit", (code) => reject(new Error(`claimer ${owner} exited ${code} before it was ready: ${err}`))),
  );
  failedEarly.catch(() => undefined);
  return { process: child, ready: Promise.race([ready, failedEarly]), done, go: () => child.stdin?.write("go\n") };
}
