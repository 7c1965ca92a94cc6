import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TestGateway, nextCreditCode, startTestGateway } from "../helpers/harness.js";

/** Rows of a synthetic product table: enough that a full scan shows in time, small enough for a shared machine. */
const ROWS = 200_000;

/**
 * Lists page by keyset on indexes: the query plans never scan a whole table, and a page of a
 * synthetic 200,000-product table answers in a few milliseconds (timed loosely: a loaded machine).
 */
describe("list queries use keyset pages on indexes", () => {
  let gw: TestGateway;
  let supplierId = 0;

  beforeAll(async () => {
    gw = await startTestGateway();
    await gw.container.supplierAccounts.create({ code: "BIG", name: "大电商", creditCode: await nextCreditCode(), domains: ["item.big.cn"] });
    supplierId = gw.container.repos.accounts.supplierByCode("BIG")?.id ?? -1;
    const db = gw.container.store.sqlite;
    const insert = db.prepare("INSERT INTO products (supplier_id, sku, status, name, shelf_state, price_fen, created_at, updated_at) VALUES (?, ?, ?, ?, 1, 100, 0, 0)");
    db.transaction(() => {
      for (let i = 0; i < ROWS; i += 1) insert.run(supplierId, String(1_000_000 + i), i % 10 === 0 ? "rejected" : "active", `商品 ${i}`);
    })();
    db.exec("ANALYZE");
  }, 120_000);
  afterAll(async () => gw?.close());

  const plan = (sql: string, ...params: unknown[]) =>
    (gw.container.store.sqlite.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as Array<{ detail: string }>).map((r) => r.detail).join(" | ");

  it("plans every list page on an index, never a full scan", () => {
    const plans = [
      plan("SELECT id FROM products WHERE supplier_id = ? AND id > ? ORDER BY id LIMIT 100", supplierId, 5000),
      plan("SELECT id FROM products WHERE status = ? AND id > ? ORDER BY id LIMIT 100", "rejected", 5000),
      plan("SELECT id FROM products WHERE listing_state = ? AND id > ? ORDER BY id LIMIT 100", "applied", 0),
      plan("SELECT id FROM products WHERE sku = ? ORDER BY id LIMIT 100", "1000042"),
      plan("SELECT id FROM sync_message_logs WHERE supplier_id = ? AND id > ? ORDER BY id LIMIT 100", supplierId, 0),
      plan("SELECT id FROM sync_message_logs WHERE outcome = ? AND id > ? ORDER BY id LIMIT 100", "rejected", 0),
      plan("SELECT id FROM orders WHERE (created_at, id) < (?, ?) ORDER BY created_at DESC, id DESC LIMIT 50", Date.now(), "zzz"),
      plan("SELECT id FROM orders WHERE state = ? AND (created_at, id) < (?, ?) ORDER BY created_at DESC, id DESC LIMIT 50", "created", Date.now(), "zzz"),
      plan("SELECT id FROM audit_log WHERE target = ? AND id < ? ORDER BY id DESC LIMIT 50", "BIG", 1000),
    ];
    for (const p of plans) {
      expect(p, p).not.toMatch(/SCAN (products|sync_message_logs|orders|audit_log)(?! USING)/);
      expect(p, p).not.toContain("USE TEMP B-TREE");
    }
  });

  it("answers a product page deep in the table through the admin repo quickly", () => {
    const times: number[] = [];
    for (const afterId of [0, 50_000, 150_000, 199_000]) {
      const t0 = performance.now();
      const rows = gw.container.admin.repo.searchProducts({ supplierId, status: "rejected", afterId, limit: 100 });
      times.push(performance.now() - t0);
      expect(rows.length).toBeGreaterThan(0);
      expect(rows.every((r) => r.id > afterId && r.status === "rejected")).toBe(true);
    }
    expect(Math.max(...times)).toBeLessThan(100);
  });
});
