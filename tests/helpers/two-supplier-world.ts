import { SignMode } from "../../src/contract/index.js";
import type { RunningSimulator } from "../../src/simulator/simulator-server.js";
import { nextCreditCode } from "./harness.js";
import { orderFile } from "./order-rig.js";
import { orderableSkus } from "./order-products.js";
import { type PullerWorld, SIM_DOMAIN, startPullerWorld } from "./puller-harness.js";
import { TEST_ACCOUNT, launchSimulator } from "./simulator-harness.js";

export const PASSWORD = "correct horse battery staple";
export const B = { code: "BSHOP", name: "乙方专营电商", domain: "item.b-shop.cn" } as const;

/** Everything of supplier B a supplier user of A must never read: texts that appear only in B's data. */
export type BFacts = { code: string; sku: string; runId: string; messageLogId: number; yggcOrder: string; conformanceRunId: string; markers: string[] };

export type TwoSupplierWorld = {
  a: PullerWorld;
  bSim: RunningSimulator;
  aFacts: { code: string; sku: string; runId: string; messageLogId: number; yggcOrder: string; conformanceRunId: string };
  bFacts: BFacts;
  close(): Promise<void>;
};

/**
 * One gateway with two real suppliers (A = the puller world's SIM, B = a second reference
 * supplier on its own domain), both pulled, each with an order; users: admin, procurement,
 * auditor, supa (supplier of A) and supb (supplier of B).
 */
export async function startTwoSupplierWorld(products = 30): Promise<TwoSupplierWorld> {
  const a = await startPullerWorld({ products });
  const bSim = await launchSimulator({ domain: B.domain, products, seed: 4242 });
  const c = a.gw.container;
  await c.supplierAccounts.create({ code: B.code, name: B.name, creditCode: await nextCreditCode(), domains: [B.domain] });
  await c.supplierConnections.connect({
    code: B.code,
    baseUrl: bSim.url,
    ...TEST_ACCOUNT,
    signMode: SignMode.HmacSha256,
    qps: 1000,
    maxConcurrent: 8,
    timeoutMs: 2_000,
  });
  // Scoping, not certification, is under test (like the puller rig's SIM): B's gate is waived with the reason recorded.
  await c.conformance.waive(B.code, "supplier-scoping test rig: a second reference supplier", "test:two-supplier-world");
  for (const code of [a.code, B.code]) {
    const run = await c.sync.pull(code, "manual");
    if (!run.ran) throw new Error(`pull of ${code} did not run`);
  }
  for (const role of ["admin", "procurement", "auditor"] as const) await c.admin.users.create({ username: role, role, password: PASSWORD });
  await c.admin.users.create({ username: "supa", role: "supplier", supplier: a.code, password: PASSWORD });
  await c.admin.users.create({ username: "supb", role: "supplier", supplier: B.code, password: PASSWORD });

  // Each supplier certifies against its own small sandbox (the kit drains and writes the pool, so
  // not the simulator the gateway pulls): its runs, reports and mark exist to be (not) read.
  const sandboxes: RunningSimulator[] = [];
  const certify = async (code: string, domain: string) => {
    const sandbox = await launchSimulator({ domain, products: 12 });
    sandboxes.push(sandbox);
    const { run, report } = await c.conformance.run({
      supplier: code,
      target: { baseUrl: sandbox.url, ...TEST_ACCOUNT, signMode: SignMode.HmacSha256, bodyFormat: "form" },
      actor: "test:two-supplier-world",
    });
    if (!run.passed || !run.markId) throw new Error(`certification of ${code} did not pass: ${JSON.stringify(report.summary.blocking)}`);
    return run.id;
  };
  const facts = async (code: string, sim: RunningSimulator, domain: string) => {
    const supplier = await c.repos.accounts.supplierByCode(code);
    if (!supplier) throw new Error(`no ${code}`);
    const stored = new Set(await c.repos.products.onShelfSkus(supplier.id));
    const sku = orderableSkus(sim.sim.exportTruth().products, "120000", 2).find((t) => stored.has(t.sku))?.sku;
    if (!sku) throw new Error(`no orderable sku of ${code}`);
    const created = await c.orders.service.create(orderFile([{ sku }], { supplier: code }), "test");
    if (!created.ok) throw new Error(`order for ${code}: ${created.error.message}`);
    const runId = (await c.sync.runs({ supplier: code, limit: 1 }))[0]?.id ?? "";
    const logs = await c.sync.messageLogs({ supplier: code, limit: 200 });
    const withCalls = logs.find((m) => m.callSeqsJson !== "[]") ?? logs[0];
    return { code, sku, runId, messageLogId: withCalls?.id ?? 0, yggcOrder: created.value.yggc_order, conformanceRunId: await certify(code, domain) };
  };
  const aFacts = await facts(a.code, a.sim, SIM_DOMAIN);
  const b = await facts(B.code, bSim, B.domain);
  return {
    a,
    bSim,
    aFacts,
    bFacts: { ...b, markers: [B.code, B.domain, B.name, b.runId, b.yggcOrder, b.conformanceRunId] },
    async close() {
      for (const sandbox of sandboxes) await sandbox.close();
      await bSim.close();
      await a.close();
    },
  };
}

export type Session = { cookie: string; csrf: string };

export async function apiLogin(url: string, username: string): Promise<Session> {
  const res = await fetch(`${url}/admin/api/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username, password: PASSWORD }),
  });
  if (res.status !== 200) throw new Error(`login ${username}: ${res.status}`);
  const body = (await res.json()) as { csrfToken: string };
  return { cookie: (res.headers.get("set-cookie") ?? "").split(";")[0] ?? "", csrf: body.csrfToken };
}

export function apiCall(url: string, s: Session, method: string, path: string, body?: unknown) {
  return fetch(`${url}/admin/api${path}`, {
    method,
    headers: { cookie: s.cookie, "x-csrf-token": s.csrf, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}
