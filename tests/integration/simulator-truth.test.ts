import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { InputType, PromiseType, SignMode, yuanToFen } from "../../src/contract/index.js";
import { MessagePool } from "../../src/simulator/message-pool.js";
import type { InvalidKind } from "../../src/simulator/product-model.js";
import type { ProductTruth } from "../../src/simulator/product-store.js";
import { loadScenarios } from "../../src/simulator/scenario-runner.js";
import { SIMULATOR_DEFAULTS, SupplierSimulator, type SimulatorOptions } from "../../src/simulator/supplier-simulator.js";
import { FIXTURES_DIR, TEST_ACCOUNT, TEST_PLATFORM_CODE, referenceData } from "../helpers/simulator-harness.js";

const DOMAIN = SIMULATOR_DEFAULTS.domain;
const build = (options: Partial<SimulatorOptions> = {}) =>
  new SupplierSimulator({
    account: { ...TEST_ACCOUNT, signMode: SignMode.HmacSha256 },
    platformCode: TEST_PLATFORM_CODE,
    reference: referenceData(),
    scenarios: loadScenarios(join(FIXTURES_DIR, "scenarios")),
    ...options,
  });

type Finding = { kind: InvalidKind | "other"; text: string };

/** The mall's §7 checks, written from the contract and the fixtures, independent of the seeder. */
function validate(p: ProductTruth): Finding[] {
  const ref = referenceData();
  const out: Finding[] = [];
  const catalog = ref.leaves.find((c) => c.id === p.detail.catalogId);
  if (!catalog || catalog.interfaceCode !== p.detail.interfaceCode) out.push({ kind: "other", text: "catalog" });
  const params = new Map((catalog?.params ?? []).map((param) => [param.attributeID, param]));
  for (const row of p.attributes) {
    const param = params.get(row.attributeID);
    if (!param) {
      out.push({ kind: "other", text: `unknown attribute ${row.attributeID}` });
      continue;
    }
    if (param.inputType === InputType.SingleSelect || param.inputType === InputType.MultiSelect) {
      const value = param.values.find((v) => v.valueID === row.valueID);
      if (!value || value.value !== row.value) out.push({ kind: "unknown-attribute-value", text: row.attributeID });
    }
    if (param.inputType === InputType.Number && !Number.isFinite(Number(row.value))) out.push({ kind: "other", text: "number" });
  }
  const present = new Set(p.attributes.map((a) => a.attributeID));
  for (const param of catalog?.params ?? [])
    if (param.required === 1 && !present.has(param.attributeID)) out.push({ kind: "missing-required-param", text: param.attributeID });
  if (!ref.brands.some((b) => b.brandId === p.detail.brand_id)) out.push({ kind: "other", text: "brand" });
  const url = new URL(p.detail.url);
  if (!/^https?:$/.test(url.protocol) || url.hostname !== DOMAIN) out.push({ kind: "foreign-domain-url", text: p.detail.url });
  for (const path of [p.detail.image_path, ...p.images.map((i) => i.path)])
    if (!/\.(jpe?g|png)$/i.test(path)) out.push({ kind: "bad-image-format", text: path });
  for (const cert of p.promise.certifications) if (!/\.(jpe?g|png|pdf)$/i.test(cert.certUrl)) out.push({ kind: "other", text: cert.certUrl });
  const priceFen = yuanToFen(p.price);
  if (priceFen === null || priceFen <= 0) out.push({ kind: "other", text: "price format" });
  if (p.price > p.mall_price) out.push({ kind: "price-above-mall-price", text: "协议价高于商城价" });
  const required = ref.promises.filter((o) => o.required === 1 && (o.interfaceCodes.length === 0 || o.interfaceCodes.includes(p.detail.interfaceCode)));
  for (const o of required) {
    const has =
      o.promiseType === PromiseType.SevenDayReturn
        ? p.promise.sevenDayReturn === 1
        : o.promiseType === PromiseType.Certification
          ? p.promise.certifications.some((c) => c.promiseId === o.promiseId)
          : p.promise.promises.some((c) => c.promiseId === o.promiseId);
    if (!has) out.push({ kind: "other", text: `promise ${o.promiseId}` });
  }
  return out;
}

describe("simulator product truth", () => {
  const sim = build();
  const truth = sim.exportTruth().products;

  it("seeds 500 skus by default, spread over many leaf catalogs and brands", () => {
    expect(truth).toHaveLength(500);
    expect(new Set(truth.map((p) => p.detail.catalogId)).size).toBeGreaterThan(30);
    expect(new Set(truth.map((p) => p.detail.brand_id)).size).toBeGreaterThan(50);
    expect(truth.filter((p) => p.shelfState === 0).length).toBeGreaterThan(0);
  });

  it("makes valid products pass every §7 check", () => {
    const valid = truth.filter((p) => p.valid);
    expect(valid.length).toBeGreaterThan(400);
    for (const p of valid) expect({ sku: p.sku, findings: validate(p) }).toEqual({ sku: p.sku, findings: [] });
  });

  it("makes each invalid product fail §7 for exactly the reason it records", () => {
    const invalid = truth.filter((p) => !p.valid);
    expect(invalid.length).toBeGreaterThan(20);
    expect(new Set(invalid.flatMap((p) => p.invalid.map((r) => r.kind))).size).toBe(5);
    for (const p of invalid) {
      const kinds = [...new Set(validate(p).map((f) => f.kind))].sort();
      expect({ sku: p.sku, kinds }).toEqual({ sku: p.sku, kinds: [...new Set(p.invalid.map((r) => r.kind))].sort() });
    }
  });

  it("is deterministic for a seed", () => {
    expect(build({ products: 50 }).exportTruth().products).toEqual(build({ products: 50 }).exportTruth().products);
    expect(build({ products: 50, seed: 7 }).exportTruth().products).not.toEqual(build({ products: 50 }).exportTruth().products);
  });

  it("keeps the truth consistent with §7 through a long run of generated changes", () => {
    const churn = build({ products: 100 });
    const applied = churn.generator.tick(1_000);
    expect(new Set(applied.map((c) => c.kind)).size).toBeGreaterThanOrEqual(8);
    for (const p of churn.exportTruth().products) {
      const kinds = [...new Set(validate(p).map((f) => f.kind))].sort();
      expect({ sku: p.sku, kinds }).toEqual({ sku: p.sku, kinds: [...new Set(p.invalid.map((r) => r.kind))].sort() });
    }
  });

  it("ends every sku's message history on its current shelf state and pool membership", () => {
    const churn = build({ products: 80 });
    churn.generator.tick(500);
    const last = new Map<string, { shelf?: number; pool?: number }>();
    for (const m of churn.pool.all()) {
      const entry = last.get(m.result.skuId) ?? {};
      if (m.type === 4) entry.shelf = m.result.state;
      if (m.type === 6) entry.pool = m.result.state;
      last.set(m.result.skuId, entry);
    }
    for (const p of churn.products.all()) {
      const entry = last.get(p.sku);
      expect(entry?.pool).toBe(p.inPool ? 1 : 2);
      if (entry?.shelf !== undefined) expect(entry.shelf).toBe(p.shelfState === 1 ? 1 : 2);
    }
  });
});

describe("message pool", () => {
  it("serves one type oldest first, 100 a page, and forgets deleted ids", () => {
    const pool = new MessagePool(() => Date.UTC(2022, 9, 20));
    for (let i = 0; i < 150; i++) pool.publish(2, { skuId: String(i) });
    pool.publish(4, { skuId: "x", state: 2 });
    const first = pool.page(2);
    expect(first.map((m) => Number(m.id))).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(first[0]?.time).toBe("2022-10-20 08:00:00");
    expect(pool.delete(["1", "2", "2", "999"])).toBe(2);
    expect(pool.page(2)[0]?.id).toBe("3");
    expect(pool.pending(2)).toBe(148);
    expect(pool.page(4)).toHaveLength(1);
  });
});

describe("scenarios", () => {
  it("loads every fixture scenario and runs it to the end", () => {
    const sim = build({ products: 100, publishInitialPool: false });
    expect([...sim.scenarios.keys()].sort()).toEqual(["burst", "delist-and-return", "invalid-then-fixed", "price-war"]);
    for (const name of sim.scenarios.keys()) {
      const run = sim.runScenario(name);
      expect(run?.skipped).toBe(0);
    }
    expect(sim.pool.pending(2)).toBeGreaterThanOrEqual(253);
  });

  it("price-war leaves the sku rejected for its price, with the last price in the last message", () => {
    const sim = build({ products: 50, publishInitialPool: false });
    const run = sim.runScenario("price-war");
    const sku = run?.bindings.$a ?? "";
    const p = sim.products.get(sku);
    expect(p?.invalid.map((r) => r.kind)).toEqual(["price-above-mall-price"]);
    const last = sim.pool
      .page(2)
      .filter((m) => m.result.skuId === sku)
      .at(-1);
    expect(last?.type === 2 && yuanToFen(last.result.price ?? -1)).toBe(p?.priceFen);
  });

  it("delist-and-return publishes type 4 and type 6 in order", () => {
    const sim = build({ products: 50, publishInitialPool: false });
    const run = sim.runScenario("delist-and-return");
    const sku = run?.bindings.$a ?? "";
    const history = sim.pool
      .all()
      .filter((m) => m.result.skuId === sku)
      .map((m) => `${m.type}:${"state" in m.result ? m.result.state : ""}`);
    expect(history).toEqual(["4:2", "6:2", "6:1", "4:1"]);
    expect(sim.products.get(run?.bindings.$new ?? "")?.inPool).toBe(true);
  });
});
