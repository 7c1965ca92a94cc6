import { SignMode } from "../../src/contract/index.js";
import type { RunningSimulator } from "../../src/simulator/simulator-server.js";
import type { RunSummary } from "../../src/sync/sync-runner.js";
import type { SimulatorLaunch } from "./simulator-harness.js";
import { TEST_ACCOUNT, launchSimulator } from "./simulator-harness.js";
import { type TestClock, type TestGateway, nextCreditCode, startTestGateway } from "./harness.js";

export const SIM_DOMAIN = "item.sim-supplier.cn";

export type PullerWorld = { gw: TestGateway; sim: RunningSimulator; code: string; supplierId: number; close(): Promise<void> };

/**
 * A gateway and a reference supplier, registered and connected as a centre would do it; `limits`
 * replaces the rig's generous call limits (null: the connection's defaults).
 */
export async function startPullerWorld(
  launch: SimulatorLaunch = {},
  env: Record<string, string> = {},
  clock?: TestClock,
  limits: { qps?: number; maxConcurrent?: number } | null = { qps: 1000, maxConcurrent: 8 },
): Promise<PullerWorld> {
  const sim = await launchSimulator({ domain: SIM_DOMAIN, ...launch });
  const gw = await startTestGateway({ SCHEDULER_ENABLED: "false", ...env }, clock);
  const code = "SIM";
  await gw.container.supplierAccounts.create({ code, name: "参考电商", creditCode: await nextCreditCode(), domains: [SIM_DOMAIN] });
  await gw.container.supplierConnections.connect({
    code,
    baseUrl: sim.url,
    username: TEST_ACCOUNT.username,
    password: TEST_ACCOUNT.password,
    appSecret: TEST_ACCOUNT.appSecret,
    signMode: launch.signMode ?? SignMode.HmacSha256,
    ...limits,
    timeoutMs: 2_000,
  });
  const supplierId = (await gw.container.repos.accounts.supplierByCode(code))?.id ?? -1;
  // These tests are about the puller, not certification (tests/integration/conformance-*.test.ts).
  await gw.container.conformance.waive(code, "puller test rig: the reference supplier, certified in the conformance tests", "test:puller-rig");
  return {
    gw,
    sim,
    code,
    supplierId,
    async close() {
      await gw.container.supplierConnections.closeAll();
      await gw.close();
      await sim.close();
    },
  };
}

/** The §7 code the mall should give each of the simulator's deliberate defects. */
export const DEFECT_CODES: Record<string, number> = {
  "unknown-attribute-value": 5012,
  "missing-required-param": 5011,
  "bad-image-format": 5015,
  "foreign-domain-url": 5014,
  "price-above-mall-price": 5099,
  "script-url-image": 5015,
  "script-url-cert": 5015,
};

/** Differences between the mall's product store and the simulator's exported truth; empty when they agree. */
export async function compareWithTruth(world: { sim: RunningSimulator; supplierId: number; gw: Pick<TestGateway, "container"> }): Promise<string[]> {
  const truth = world.sim.sim.exportTruth().products;
  const stored = new Map((await world.gw.container.repos.products.list(world.supplierId)).map((p) => [p.sku, p]));
  const diffs: string[] = [];
  for (const t of truth) {
    const p = stored.get(t.sku);
    if (!t.inPool) {
      if (p && p.status !== "delisted") diffs.push(`${t.sku}: withdrawn by the supplier but ${p.status} in the mall`);
      continue;
    }
    if (!p) {
      diffs.push(`${t.sku}: offered but not stored`);
      continue;
    }
    const reasons = JSON.parse(p.rejectionJson) as Array<{ code: number }>;
    if (t.valid) {
      if (p.status !== "active") diffs.push(`${t.sku}: valid but ${p.status} ${p.rejectionJson}`);
    } else {
      if (p.status !== "rejected") diffs.push(`${t.sku}: invalid (${t.invalid.map((i) => i.kind).join(",")}) but ${p.status}`);
      for (const defect of t.invalid) {
        if (!reasons.some((r) => r.code === DEFECT_CODES[defect.kind])) diffs.push(`${t.sku}: ${defect.kind} not reported with ${DEFECT_CODES[defect.kind]}`);
      }
    }
    if (t.priceFen !== p.priceFen && t.priceFen <= t.mallPriceFen) diffs.push(`${t.sku}: price ${p.priceFen} ≠ ${t.priceFen}`);
    if (t.mallPriceFen !== p.mallPriceFen) diffs.push(`${t.sku}: mall_price ${p.mallPriceFen} ≠ ${t.mallPriceFen}`);
    if (t.shelfState !== p.shelfState) diffs.push(`${t.sku}: shelf ${p.shelfState} ≠ ${t.shelfState}`);
    if (t.detail.name !== p.name) diffs.push(`${t.sku}: name ${p.name} ≠ ${t.detail.name}`);
  }
  return diffs;
}

/** One manual pull that must get the lease; its summary. */
export async function pullOnce(w: PullerWorld): Promise<RunSummary> {
  const attempt = await w.gw.container.sync.pull(w.code, "manual");
  if (!attempt.ran) throw new Error("lease busy");
  return attempt.summary;
}

/** Wall-clock time that a test can still move forward: for leases and timers that must really run out. */
export function liveClock(): TestClock {
  let offset = 0;
  return { now: () => Date.now() + offset, advance: (ms) => void (offset += ms), set: (ms) => void (offset = ms - Date.now()) };
}

/**
 * Everything a gateway that crashed or lost an instance must converge to; empty when it has: the
 * supplier's pool drained, products equal to its truth, and each order confirmed in the gateway and
 * existing once, confirmed, at the supplier.
 */
export async function divergenceFromSupplier(
  w: { sim: RunningSimulator; container: TestGateway["container"]; supplierId: number },
  yggcOrders: readonly string[],
): Promise<string[]> {
  const out: string[] = [];
  const pending = w.sim.sim.pool.pending();
  if (pending > 0) out.push(`${pending} messages still in the supplier's pool`);
  out.push(...(await compareWithTruth({ sim: w.sim, gw: { container: w.container }, supplierId: w.supplierId })).slice(0, 5));
  const atSupplier = w.sim.sim.exportTruth().orders;
  for (const y of yggcOrders) {
    const shown = await w.container.orders.service.show(y);
    const mine = shown.ok ? shown.value : undefined;
    if (mine?.state !== "confirmed") out.push(`${y}: ${mine?.state ?? "missing"} in the gateway${mine?.failure ? ` (${JSON.stringify(mine.failure)})` : ""}`);
    const theirs = atSupplier.filter((o) => o.yggc_order === y);
    if (theirs.length !== 1) out.push(`${y}: ${theirs.length} orders at the supplier`);
    else if (theirs[0]?.state !== "confirmed") out.push(`${y}: ${theirs[0]?.state} at the supplier`);
  }
  return out;
}
