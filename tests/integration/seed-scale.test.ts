import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openStore } from "../../src/store/database.js";
import { createProductExportRepo } from "../../src/store/repos/product-export-repo.js";
import { createProductRepo } from "../../src/store/repos/product-repo.js";
import { createReferenceRepo } from "../../src/store/repos/reference-repo.js";
import { snapshotOf } from "../../src/sync/product-record.js";
import { ADVERTISING_LAW_TERMS, validateProduct } from "../../src/sync/product-validation.js";
import { createValidationContext } from "../../src/sync/validation-context.js";
import { runCli } from "../helpers/run-cli.js";

/** scripts/seed-scale.ts with a few hundred products: what it stores is what the puller would store. */
let dir: string;
let database: string;
let run: ReturnType<typeof spawnSync>;
let summary: Record<string, unknown>;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "emall-seed-"));
  database = join(dir, "scale.db");
  run = spawnSync(
    process.execPath,
    ["--import", "tsx", "scripts/seed-scale.ts", "--products", "300", "--suppliers", "3", "--invalid-share", "0.2", "--database", database, "--json"],
    { env: { ...process.env, LOG_LEVEL: "warn" }, encoding: "utf8", timeout: 120_000 },
  );
  summary = JSON.parse(String(run.stdout).trim().split("\n").at(-1) ?? "{}") as Record<string, unknown>;
}, 150_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("seed-scale", () => {
  it("reports the products, their §7 verdicts and the size per product", () => {
    expect(run.status, String(run.stderr)).toBe(0);
    expect(summary).toMatchObject({ ok: true, suppliers: 3, products: 300, generatorVerdictMismatches: 0, revalidationMismatches: 0 });
    expect(summary.revalidated).toBe(300);
    expect(Number(summary.bytesPerProduct)).toBeGreaterThan(1_000);
    expect(String(run.stderr)).toContain("300/300 products");
  });

  it("adds orders of stored skus and an audit chain that verifies, a tenth of the products each", () => {
    expect(summary).toMatchObject({ orders: 30, audit: 30 });
    const store = openStore(database);
    try {
      const orders = store.connection.prepare("SELECT o.lines_json AS lines, o.supplier_id AS supplierId FROM orders o").all() as Array<{
        lines: string;
        supplierId: number;
      }>;
      expect(orders).toHaveLength(30);
      const skuOf = store.connection.prepare("SELECT price_fen FROM products WHERE supplier_id = ? AND sku = ?").pluck();
      for (const o of orders) {
        for (const line of JSON.parse(o.lines) as Array<{ sku: string; priceFen: number }>) expect(skuOf.get(o.supplierId, line.sku)).toBe(line.priceFen);
      }
    } finally {
      store.close();
    }
    const verify = runCli(["audit", "verify", "--json"], { DATABASE_URL: database, DATA_ENCRYPTION_KEY_FILE: `${database}.key` });
    expect(verify.status, verify.stderr).toBe(0);
    expect(JSON.parse(verify.stdout)).toMatchObject({ verdict: { ok: true, rows: 30 } });
  });

  it("stores products that validate as stored: every one re-read and checked again by §7", async () => {
    const store = openStore(database);
    try {
      const products = createProductRepo(store.sql);
      const reference = createReferenceRepo(store.sql);
      const suppliers = store.connection.prepare("SELECT id, code, domains_json AS domains FROM suppliers ORDER BY code").all() as Array<{
        id: number;
        code: string;
        domains: string;
      }>;
      expect(suppliers.map((s) => s.code)).toEqual(["SC01", "SC02", "SC03"]);
      let active = 0;
      let rejected = 0;
      for (const s of suppliers) {
        const ctx = await createValidationContext(reference, JSON.parse(s.domains) as string[], [...ADVERTISING_LAW_TERMS]);
        const rows = await products.list(s.id);
        expect(rows).toHaveLength(100);
        for (const row of rows) {
          const snapshot = snapshotOf(row);
          expect(snapshot).not.toBeNull();
          if (!snapshot) continue;
          const reasons = await validateProduct(snapshot, ctx);
          expect(JSON.stringify(reasons)).toBe(row.rejectionJson);
          expect(row.status).toBe(reasons.length === 0 ? "active" : "rejected");
          if (reasons.length === 0) active++;
          else rejected++;
          expect(JSON.parse(row.attributesJson ?? "[]")).not.toHaveLength(0);
          expect(JSON.parse(row.imagesJson ?? "[]")).not.toHaveLength(0);
        }
        const sample = rows[0];
        if (sample) {
          expect((await products.priceHistoryOf(s.id, sample.sku)).length).toBe(4);
          expect((await products.priceHistoryOf(s.id, sample.sku)).at(-1)?.priceFen).toBe(sample.priceFen);
          expect((await products.stockOf(s.id, sample.sku)).length).toBeGreaterThan(0);
        }
      }
      expect(active).toBeGreaterThan(150);
      expect(rejected).toBeGreaterThan(0);
      expect(rejected).toBe(summary.rejected);
      const logs = store.connection.prepare("SELECT outcome, COUNT(*) AS n FROM sync_message_logs GROUP BY outcome ORDER BY outcome").all();
      expect(logs).toEqual([
        { outcome: "applied", n: active },
        { outcome: "rejected", n: rejected },
      ]);
    } finally {
      store.close();
    }
  });

  it("exports a supplier's products page by page, the same rows and stock as the whole list", async () => {
    const store = openStore(database);
    try {
      const supplierId = (store.connection.prepare("SELECT id FROM suppliers WHERE code = 'SC02'").pluck().get() as number) ?? -1;
      const products = createProductRepo(store.sql);
      const pages = [];
      for await (const page of createProductExportRepo(store.sql).pages(supplierId, 7)) pages.push(page);
      expect(pages.length).toBe(15);
      const exported = pages.flat();
      expect(exported.map((e) => e.product.sku)).toEqual((await products.list(supplierId)).map((p) => p.sku));
      for (const e of exported.slice(0, 20))
        expect(e.stock).toEqual((await products.stockOf(supplierId, e.product.sku)).sort((a, b) => a.area.localeCompare(b.area)));
    } finally {
      store.close();
    }
  });

  it("products list --json streams one JSON object with every product, filtered by status", () => {
    const env = { DATABASE_URL: database, DATA_ENCRYPTION_KEY_FILE: `${database}.key` };
    const all = runCli(["products", "list", "--supplier", "SC01", "--json"], env);
    expect(all.status, all.stderr).toBe(0);
    const listed = all.json as { ok: boolean; products: Array<{ sku: string; status: string; stock: unknown[]; reasons: unknown[] }> };
    expect(listed.ok).toBe(true);
    expect(listed.products).toHaveLength(100);
    expect(listed.products.map((p) => p.sku)).toEqual([...listed.products.map((p) => p.sku)].sort());
    expect(listed.products.every((p) => p.stock.length > 0)).toBe(true);
    const rejected = runCli(["products", "list", "--supplier", "SC01", "--status", "rejected", "--json"], env);
    const only = (rejected.json as { products: Array<{ status: string; reasons: unknown[] }> }).products;
    expect(only.length).toBe(listed.products.filter((p) => p.status === "rejected").length);
    expect(only.every((p) => p.status === "rejected" && p.reasons.length > 0)).toBe(true);
  });

  it("refuses to overwrite an existing database without --force", () => {
    const again = spawnSync(process.execPath, ["--import", "tsx", "scripts/seed-scale.ts", "--products", "10", "--suppliers", "1", "--database", database], {
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(again.status).toBe(64);
    expect(again.stderr).toContain("--force");
  });
});
