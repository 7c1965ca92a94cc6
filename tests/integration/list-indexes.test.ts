import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TestGateway, nextCreditCode, startTestGateway } from "../helpers/harness.js";
import { pgPlanWords } from "../helpers/pg-plan.js";
import { rawSql } from "../helpers/raw-sql.js";
import { onPostgres } from "../helpers/test-database.js";

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
    supplierId = (await gw.container.repos.accounts.supplierByCode("BIG"))?.id ?? -1;
    const db = rawSql(gw.container.store);
    // A statement per 20,000 rows, in SQL both databases read: row by row, each insert would be a
    // round trip to PostgreSQL, and one statement for all of them outlasts its statement timeout.
    for (let from = 0; from < ROWS; from += 20_000) {
      await db.run(
        `WITH RECURSIVE n(i) AS (SELECT ${from} UNION ALL SELECT i + 1 FROM n WHERE i < ${Math.min(ROWS, from + 20_000) - 1}) ` +
          "INSERT INTO products (supplier_id, sku, status, name, shelf_state, price_fen, created_at, updated_at) " +
          `SELECT ${supplierId}, CAST(1000000 + i AS TEXT), CASE WHEN i % 10 = 0 THEN 'rejected' ELSE 'active' END, '商品 ' || CAST(i AS TEXT), 1, 100, 0, 0 FROM n`,
      );
    }
    await db.exec("ANALYZE");
  }, 120_000);
  afterAll(async () => gw?.close());

  const plan = async (sql: string, ...params: unknown[]) =>
    onPostgres
      ? `${await pgPlanWords(gw.container.store, sql, params)}   ← ${sql}`
      : (await rawSql(gw.container.store).all<{ detail: string }>(`EXPLAIN QUERY PLAN ${sql}`, ...params)).map((r) => r.detail).join(" | ");

  it("plans every list page on an index, never a full scan", async () => {
    const plans = [
      await plan("SELECT id FROM products WHERE supplier_id = ? AND id > ? ORDER BY id LIMIT 100", supplierId, 5000),
      await plan("SELECT id FROM products WHERE status = ? AND id > ? ORDER BY id LIMIT 100", "rejected", 5000),
      await plan("SELECT id FROM products WHERE listing_state = ? AND id > ? ORDER BY id LIMIT 100", "applied", 0),
      await plan("SELECT id FROM products WHERE sku = ? ORDER BY id LIMIT 100", "1000042"),
      await plan("SELECT id FROM sync_message_logs WHERE supplier_id = ? AND id > ? ORDER BY id LIMIT 100", supplierId, 0),
      await plan("SELECT id FROM sync_message_logs WHERE outcome = ? AND id > ? ORDER BY id LIMIT 100", "rejected", 0),
      await plan("SELECT id FROM orders WHERE (created_at, id) < (?, ?) ORDER BY created_at DESC, id DESC LIMIT 50", Date.now(), "zzz"),
      await plan(
        "SELECT id FROM orders WHERE state = ? AND (created_at, id) < (?, ?) ORDER BY created_at DESC, id DESC LIMIT 50",
        "created",
        Date.now(),
        "zzz",
      ),
      await plan("SELECT id FROM audit_log WHERE target = ? AND id < ? ORDER BY id DESC LIMIT 50", "BIG", 1000),
    ];
    for (const p of plans) {
      expect(p, p).not.toMatch(/SCAN (products|sync_message_logs|orders|audit_log)(?! USING)/);
      expect(p, p).not.toContain("USE TEMP B-TREE");
    }
  });

  it("answers a product page deep in the table through the admin repo quickly", async () => {
    const times: number[] = [];
    for (const afterId of [0, 50_000, 150_000, 199_000]) {
      const t0 = performance.now();
      const rows = await gw.container.admin.repo.searchProducts({ supplierId, status: "rejected", afterId, limit: 100 });
      times.push(performance.now() - t0);
      expect(rows.length).toBeGreaterThan(0);
      expect(rows.every((r) => r.id > afterId && r.status === "rejected")).toBe(true);
    }
    expect(Math.max(...times)).toBeLessThan(100);
  });

  it("finds a name by substring through the trigram index, page by page, exactly as LIKE would", async () => {
    const like = async (text: string) =>
      (
        await rawSql(gw.container.store).all<{ id: number }>(
          "SELECT id FROM products WHERE supplier_id = ? AND status = 'rejected' AND name LIKE ? ORDER BY id",
          supplierId,
          `%${text}%`,
        )
      ).map((r) => r.id);
    for (const text of ["商品 19999", "品 12345", "商品"]) {
      const found: number[] = [];
      let afterId: number | undefined;
      for (let page = 0; page < 50; page += 1) {
        const rows = await gw.container.admin.repo.searchProducts({ supplierId, status: "rejected", name: text, afterId, limit: 7 });
        found.push(...rows.map((r) => r.id));
        if (rows.length < 7) break;
        afterId = rows.at(-1)?.id;
      }
      const expected = await like(text);
      expect(found, text).toEqual(expected.slice(0, found.length));
      if (expected.length <= 50 * 7) expect(found.length, text).toBe(expected.length);
    }
    const t0 = performance.now();
    expect((await gw.container.admin.repo.searchProducts({ name: "商品 199990", limit: 100 })).map((r) => r.name)).toEqual(["商品 199990"]);
    expect(await gw.container.admin.repo.searchProducts({ name: "没有这个名字", limit: 100 })).toEqual([]);
    expect(performance.now() - t0).toBeLessThan(100);
  });

  it("keeps the name index in step when a product is renamed or removed", async () => {
    const db = rawSql(gw.container.store);
    await db.run("UPDATE products SET name = ? WHERE supplier_id = ? AND sku = ?", "独一份的改名商品", supplierId, "1000007");
    expect((await gw.container.admin.repo.searchProducts({ name: "独一份的改名", limit: 10 })).map((r) => r.sku)).toEqual(["1000007"]);
    expect((await gw.container.admin.repo.searchProducts({ name: "商品 7", limit: 10 })).some((r) => r.sku === "1000007")).toBe(false);
    await db.run("DELETE FROM products WHERE supplier_id = ? AND sku = ?", supplierId, "1000007");
    expect(await gw.container.admin.repo.searchProducts({ name: "独一份的改名", limit: 10 })).toEqual([]);
  });
});
