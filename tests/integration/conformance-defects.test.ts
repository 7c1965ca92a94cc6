import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SignMode } from "../../src/contract/index.js";
import type { ConformanceDefect } from "../../src/simulator/simulator-knobs.js";
import { type ConformanceRig, KIT_DOMAIN, KIT_SUPPLIER, certify, startConformanceRig } from "../helpers/conformance-rig.js";
import { TEST_ACCOUNT, launchSimulator } from "../helpers/simulator-harness.js";

/** Each defect of the reference supplier, the module and step the kit must fail for it. */
const EXPECTED: ReadonlyArray<[ConformanceDefect, string, string]> = [
  ["unsigned-answers", "answers", "answer.signed"],
  ["bad-token-code", "token", "token.expired"],
  ["no-token-expired", "token", "token.expired"],
  ["pool-newest-first", "message-pool", "pool.order"],
  ["deleted-messages-return", "message-pool", "pool.deleted-gone"],
  ["delete-not-idempotent", "message-pool", "pool.delete-idempotent"],
  ["duplicate-order", "orders", "order.resubmit"],
  ["order-echo-prices", "orders", "order.echo"],
  ["confirm-unknown-order", "orders", "order.unknown"],
  ["overlong-fields", "answers", "answer.fields"],
  ["batch-limit-ignored", "product-reads", "product.batch-limit"],
];

let rig: ConformanceRig;
beforeAll(async () => {
  rig = await startConformanceRig();
});
afterAll(async () => {
  await rig.close();
});

/** A fresh sandbox per run: a run deletes messages and places test orders there. */
async function runAgainst(defects: ConformanceDefect[]) {
  const sandbox = await launchSimulator({ domain: KIT_DOMAIN, products: 12, knobs: { defects } });
  try {
    return await rig.gw.container.conformance.run({
      supplier: KIT_SUPPLIER,
      target: { baseUrl: sandbox.url, ...TEST_ACCOUNT, signMode: SignMode.HmacSha256, bodyFormat: "form" },
      actor: "test:conformance",
    });
  } finally {
    await sandbox.close();
  }
}

describe("the kit proves itself against the reference supplier's defects", () => {
  it("passes the reference supplier with no defect and issues a mark", async () => {
    const { run, trustMark, report } = await certify(rig);
    expect(run.passed).toBe(true);
    expect(trustMark).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(run.modules.map((m) => m.id)).toEqual(["token", "message-pool", "product-reads", "orders", "catalog-products", "qps", "answers", "mall-usage"]);
    for (const m of run.modules) for (const s of m.steps) expect(s.status, `${s.id}: ${s.detail}`).not.toBe("failed");
    expect(report.summary.blocking).toEqual([]);
    // The reference supplier seeds deliberately invalid products: listed with their codes, not hidden.
    const valid = report.modules.find((m) => m.id === "catalog-products")?.steps.find((s) => s.id === "catalog.valid");
    expect(valid?.status).toBe("warning");
    expect(valid?.evidence.length).toBeGreaterThan(0);
    expect(valid?.evidence[0]?.got).toMatch(/^\S+: 50\d\d /);
    // Test orders are recognisable as such on the supplier's side.
    expect(rig.sandbox.sim.orders.all().every((o) => o.yggc_order.startsWith("KITTEST"))).toBe(true);
    expect(rig.sandbox.sim.orders.all()).toHaveLength(1);
  }, 60_000);

  it("judges every product a sandbox offers, past the first page of its type-6 pool, and empties that pool", async () => {
    const sandbox = await launchSimulator({ domain: KIT_DOMAIN, products: 250 });
    try {
      const invalid = sandbox.sim.products.exportTruth().filter((p) => !p.valid);
      expect(invalid.length).toBeGreaterThan(0);
      const { report } = await rig.gw.container.conformance.run({
        supplier: KIT_SUPPLIER,
        target: { baseUrl: sandbox.url, ...TEST_ACCOUNT, signMode: SignMode.HmacSha256, bodyFormat: "form" },
        actor: "test:conformance",
      });
      const steps = report.modules.find((m) => m.id === "catalog-products")?.steps ?? [];
      const read = steps.find((s) => s.id === "catalog.read");
      expect(read?.status, read?.detail).toBe("passed");
      expect(read?.changesState).toBe(true);
      expect(read?.detail).toMatch(/判定了 250 个商品/);
      const valid = steps.find((s) => s.id === "catalog.valid");
      expect(valid?.detail).toMatch(/^250 个商品中 \d+ 个被拒/);
      const rejected = new Map((valid?.evidence ?? []).map((e) => [e.got?.split(":")[0], e.got ?? ""]));
      for (const p of invalid) expect(rejected.get(p.sku), p.sku).toMatch(/: 50\d\d /);
      expect(rejected.size).toBe(invalid.length);
      expect(sandbox.sim.pool.pending(6)).toBe(0);
    } finally {
      await sandbox.close();
    }
  }, 120_000);

  it("stops walking a type-6 pool that keeps serving deleted messages, and says so", async () => {
    const { run } = await runAgainst(["deleted-messages-return"]);
    const read = run.modules.find((m) => m.id === "catalog-products")?.steps.find((s) => s.id === "catalog.read");
    expect(read?.status).toBe("failed");
    expect(read?.detail).toMatch(/已删除的类型 6 消息再次返回/);
    expect(read?.detail).toMatch(/判定了 \d+ 个/);
  }, 60_000);

  it.each(EXPECTED)(
    "%s: fails in %s (%s) and issues no mark",
    async (defect, moduleId, stepId) => {
      const before = (await rig.gw.container.repos.conformance.currentMark(rig.supplierId))?.id;
      const { run, trustMark, report } = await runAgainst([defect]);
      expect(run.passed).toBe(false);
      expect(trustMark).toBeNull();
      expect(run.markId).toBeNull();
      const m = run.modules.find((x) => x.id === moduleId);
      expect(m?.status).toBe("failed");
      const s = m?.steps.find((x) => x.id === stepId);
      expect(s?.status, s?.detail).toBe("failed");
      expect(report.summary.blocking.some((b) => b.step === stepId)).toBe(true);
      const evidence = report.modules.find((x) => x.id === moduleId)?.steps.find((x) => x.id === stepId)?.evidence ?? [];
      expect(evidence.length).toBeGreaterThan(0);
      expect((await rig.gw.container.repos.conformance.currentMark(rig.supplierId))?.id).toBe(before);
    },
    60_000,
  );
});
