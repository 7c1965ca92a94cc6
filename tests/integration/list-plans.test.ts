import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { seedActivity } from "../../scripts/seed-activity.js";
import { loadReferenceData } from "../../src/simulator/reference-data.js";
import { createRandom } from "../../src/simulator/seeded-random.js";
import { createSeedRepo } from "../../src/store/repos/seed-repo.js";
import { type ConsoleSession, consoleLogin, getPage } from "../helpers/console-session.js";
import { type TestGateway, nextCreditCode, startTestGateway } from "../helpers/harness.js";
import { pgPlanWordsOnPool } from "../helpers/pg-plan.js";
import { rawSql, sqliteOnly } from "../helpers/raw-sql.js";
import { onPostgres } from "../helpers/test-database.js";

/**
 * Every list query the admin API runs, with each of its filters, planned by SQLite on a small real
 * database: none may read a whole list table or sort one (a plan that does answers in seconds at a
 * million rows). The SQL is the SQL the routes ran, recorded as they answered over HTTP, and
 * explained with the same arguments, both as the gateway leaves the file (no statistics) and
 * after ANALYZE.
 */
const seen: Array<{ sql: string; args: unknown[] }> = [];
// On SQLite the asynchronous store prepares its statements on better-sqlite3's connection: recorded here.
const proto = Database.prototype as unknown as {
  prepare: (this: Database.Database, source: string) => Database.Statement;
};
const prepare = proto.prepare;
proto.prepare = function (this: Database.Database, source: string) {
  const stmt = prepare.call(this, source);
  for (const method of ["all", "get", "iterate"] as const) {
    const original = stmt[method].bind(stmt) as (...a: unknown[]) => unknown;
    (stmt as unknown as Record<string, unknown>)[method] = (...args: unknown[]) => {
      seen.push({ sql: source, args });
      return original(...args);
    };
  }
  return stmt;
};

const LIST_TABLES = ["products", "sync_message_logs", "orders", "audit_log", "conformance_runs"];
const PASSWORD = "list-plans-Pa55w0rd!";
const PRODUCTS = 21_000;

let gw: TestGateway;
const cookies: Record<"admin" | "supplier", string> = { admin: "", supplier: "" };

beforeAll(async () => {
  gw = await startTestGateway();
  const { container } = gw;
  // On PostgreSQL the asynchronous store's statements go to the pool, and are recorded here.
  if (onPostgres) {
    const pool = container.store.sql as unknown as Record<"all" | "get", (text: string, values?: unknown[]) => Promise<unknown>>;
    for (const method of ["all", "get"] as const) {
      const original = pool[method].bind(pool);
      pool[method] = (text: string, values: unknown[] = []) => {
        seen.push({ sql: text, args: values });
        return original(text, values);
      };
    }
  }
  for (const code of ["BIG", "SMALL"])
    await container.supplierAccounts.create({ code, name: `电商${code}`, creditCode: await nextCreditCode(), domains: [`item.${code.toLowerCase()}.cn`] });
  const ids = await Promise.all(["BIG", "SMALL"].map(async (c) => (await container.repos.accounts.supplierByCode(c))?.id ?? -1));
  // Row i: supplier BIG or SMALL in turn, sku 100000 + i, every tenth rejected, every fiftieth applied
  // for listing. A statement per table, in SQL both databases read: row by row, each insert would be
  // a round trip to PostgreSQL.
  const [big, small] = ids.map((id) => Number(id));
  const rows = `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ${PRODUCTS - 1}) `;
  const supplierOf = `CASE WHEN i % 2 = 0 THEN ${big} ELSE ${small} END`;
  await container.store.sql.transaction(async (tx) => {
    await tx.run(
      rows +
        "INSERT INTO products (supplier_id, sku, status, name, catalog_id, interface_code, shelf_state, price_fen, listing_state, created_at, updated_at) " +
        `SELECT ${supplierOf}, CAST(100000 + i AS TEXT), CASE WHEN i % 10 = 0 THEN 'rejected' ELSE 'active' END, ` +
        "'品牌' || CAST(i % 7 AS TEXT) || ' 笔记本 KA-' || CAST(i AS TEXT), 'C' || CAST(i % 30 AS TEXT), 'A' || CAST(i % 40 AS TEXT), 1, 100, " +
        "CASE WHEN i % 50 = 0 THEN 'applied' ELSE 'none' END, 0, 0 FROM n",
    );
    await tx.run(
      rows +
        "INSERT INTO sync_message_logs (run_id, supplier_id, message_id, type, sku, outcome, reasons_json, duration_ms, call_seqs_json, at) " +
        `SELECT 'run_x', ${supplierOf}, 'm-' || CAST(i AS TEXT), 6, CAST(100000 + i AS TEXT), CASE WHEN i % 10 = 0 THEN 'rejected' ELSE 'applied' END, '[]', 1, '[]', i FROM n`,
    );
  });
  const seedRepo = createSeedRepo(container.store.sql);
  await seedActivity(container, seedRepo, createRandom(7), loadReferenceData(gw.config.FIXTURES_DIR).counties.slice(0, 50), {
    orders: 300,
    audit: 300,
    now: Date.now(),
  });
  await container.admin.users.create({ username: "plans_admin", role: "admin", password: PASSWORD });
  await container.admin.users.create({ username: "plans_supplier", role: "supplier", password: PASSWORD, supplier: "BIG" });
  for (const who of ["admin", "supplier"] as const) {
    const res = await fetch(`${gw.url}/admin/api/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: `plans_${who}`, password: PASSWORD }),
    });
    expect(res.status).toBe(200);
    cookies[who] = (res.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
  }
}, 120_000);
afterAll(async () => gw?.close());

async function apiGet(who: "admin" | "supplier", path: string): Promise<Record<string, unknown>> {
  const res = await fetch(`${gw.url}/admin/api${path}`, { headers: { cookie: cookies[who] } });
  const body = (await res.json()) as Record<string, unknown>;
  expect(res.status, `${path}: ${JSON.stringify(body)}`).toBe(200);
  return body;
}

/** The plans of the list-table SELECTs one request ran. */
async function plansOf(who: "admin" | "supplier", path: string): Promise<string[]> {
  seen.length = 0;
  await apiGet(who, path);
  const ran = seen.filter((s) => /^\s*select/i.test(s.sql) && LIST_TABLES.some((t) => new RegExp(`from "?${t}"?\\b`, "i").test(s.sql)));
  expect(ran.length, `${path} ran no list query`).toBeGreaterThan(0);
  if (onPostgres) {
    // Recorded before the plans run: explaining runs statements on the pool too.
    const plans: string[] = [];
    for (const s of [...ran]) plans.push(`${await pgPlanWordsOnPool(gw.container.store.sql, s.sql, s.args)}   ← ${s.sql.slice(0, 200)}`);
    return plans;
  }
  const explain = new Database(gw.config.DATABASE_URL, { readonly: true });
  try {
    return ran.map(
      (s) =>
        `${(explain.prepare(`EXPLAIN QUERY PLAN ${s.sql}`).all(...s.args) as Array<{ detail: string }>).map((r) => r.detail).join(" | ")}   ← ${s.sql.slice(0, 200)}`,
    );
  } finally {
    explain.close();
  }
}

const FILTERED: Array<["admin" | "supplier", string]> = [
  ["admin", "/products?sku=100042"],
  ["admin", "/products?sku=100042&supplier=BIG"],
  ["admin", "/products?name=KA-1234"],
  ["admin", "/products?name=%E7%AC%94%E8%AE%B0%E6%9C%AC&supplier=SMALL&afterId=100"],
  ["admin", "/products?catalog=A7"],
  ["admin", "/products?catalog=C7&afterId=500"],
  ["admin", "/products?catalog=A7&status=rejected"],
  ["admin", "/products?status=rejected&afterId=1000"],
  ["admin", "/products?supplier=BIG&status=active&afterId=2000"],
  ["admin", "/products?listingState=applied"],
  ["admin", "/sync/messages?supplier=BIG&afterId=100"],
  ["admin", "/sync/messages?outcome=rejected"],
  ["admin", "/sync/messages?supplier=SMALL&outcome=rejected&afterId=10"],
  ["admin", "/sync/messages?supplier=BIG&sku=100042"],
  ["admin", "/sync/messages?runId=run_x&afterId=5"],
  ["admin", "/orders?state=failed"],
  ["admin", "/orders?supplier=BIG"],
  ["admin", "/orders?supplier=BIG&state=confirmed"],
  ["admin", "/audit?before=100"],
  ["admin", "/audit?actor=ops_li"],
  ["admin", "/audit?target=BIG"],
  ["admin", "/audit?action=product."],
  ["supplier", "/products"],
  ["supplier", "/products?status=rejected&afterId=300"],
  ["supplier", "/products?name=KA-12"],
  ["supplier", "/sync/messages?afterId=10"],
  ["supplier", "/orders"],
  ["supplier", "/conformance/runs"],
];

/**
 * sqlite_stat1 of the list tables as ANALYZE wrote it for scripts/seed-scale.ts's million products
 * (20 suppliers, 5 % rejected) with 100,000 orders and audit rows: the planner of this small file then
 * chooses as it would at that scale.
 */
const MILLION_STATS: Array<[string, string, string]> = [
  ["audit_log", "audit_log_action_idx", "100005 11112 1"],
  ["audit_log", "audit_log_actor_idx", "100005 14287 1"],
  ["audit_log", "audit_log_target_idx", "100005 3 1"],
  ["orders", "orders_created_idx", "99999 1 1"],
  ["orders", "orders_due_idx", "99999 16667 1"],
  ["orders", "orders_state_created_idx", "99999 16667 1 1"],
  ["orders", "orders_supplier_idx", "99999 5000 1 1"],
  ["orders", "orders_yggc_order_uq", "99999 1"],
  ["orders", "sqlite_autoindex_orders_1", "99999 1"],
  ["products", "products_catalog_id_idx", "1000000 15874 1"],
  ["products", "products_catalog_idx", "1000000 15874"],
  ["products", "products_listing_idx", "1000000 1000000 1"],
  ["products", "products_name_idx", "1000000 1"],
  ["products", "products_sku_idx", "1000000 20"],
  ["products", "products_status_id_idx", "1000000 500000 1"],
  ["products", "products_status_idx", "1000000 50000 25000 12500"],
  ["products", "products_supplier_id_idx", "1000000 50000 1"],
  ["products", "products_supplier_sku_uq", "1000000 50000 1"],
  ["sync_message_logs", "sync_message_logs_lookup_idx", "1000000 50000 10"],
  ["sync_message_logs", "sync_message_logs_outcome_idx", "1000000 500000 1"],
  ["sync_message_logs", "sync_message_logs_run_idx", "1000000 50000"],
  ["sync_message_logs", "sync_message_logs_sku_idx", "1000000 50000 1"],
  ["sync_message_logs", "sync_message_logs_supplier_id_idx", "1000000 50000 1"],
];

describe("list query plans", () => {
  // SQLite's variants of its planner statistics (sqlite_stat1); PostgreSQL's planner is asked
  // after ANALYZE, with scans and sorts priced out (tests/helpers/pg-plan.ts).
  for (const stats of onPostgres ? (["analyzed"] as const) : (["none", "analyzed", "million"] as const)) {
    const label = { none: "no statistics, as the gateway leaves the file", analyzed: "after ANALYZE", million: "with the statistics of a million products" }[
      stats
    ];
    it(`never scans or sorts a list table under a filter (${label})`, async () => {
      if (stats === "none") expect(await rawSql(gw.container.store).value("SELECT COUNT(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")).toBe(0);
      if (stats === "analyzed") await rawSql(gw.container.store).exec("ANALYZE");
      if (stats === "million") {
        const db = sqliteOnly(gw.container.store).connection;
        db.exec("ANALYZE; DELETE FROM sqlite_stat4");
        const put = db.prepare("UPDATE sqlite_stat1 SET stat = ? WHERE tbl = ? AND idx = ?");
        for (const [tbl, idx, stat] of MILLION_STATS) put.run(stat, tbl, idx);
        db.exec("ANALYZE sqlite_schema");
      }
      const bad: string[] = [];
      for (const [who, path] of FILTERED) {
        for (const plan of await plansOf(who, path)) {
          const fullScan = new RegExp(`\\bSCAN (${LIST_TABLES.join("|")})\\b(?! VIRTUAL)`).test(plan);
          // Known on PostgreSQL: runs of one millisecond are ordered by their inserting transaction
          // (it has no rowid), which no index holds, so ties on started_at are sorted after the index read.
          const tieSort = onPostgres && path.includes("/conformance/runs") && plan.includes("USE TEMP B-TREE FOR RIGHT PART OF ORDER BY");
          if (fullScan || (plan.includes("USE TEMP B-TREE") && !tieSort)) bad.push(`${who} ${path}: ${plan}`);
        }
      }
      expect(bad).toEqual([]);
    }, 60_000);
  }
});

describe("list reads", () => {
  it("a name search under a selective filter ends its page at the scan budget with a cursor, and paging on finds every match", async () => {
    const db = rawSql(gw.container.store);
    // One match for SMALL far behind many for BIG: more trigram matches than one page may scan.
    const small = (await gw.container.repos.accounts.supplierByCode("SMALL"))?.id ?? -1;
    const big = (await gw.container.repos.accounts.supplierByCode("BIG"))?.id ?? -1;
    const insert =
      "INSERT INTO products (supplier_id, sku, status, name, shelf_state, price_fen, created_at, updated_at) VALUES (?, ?, 'active', ?, 1, 100, 0, 0)";
    await db.run(
      "INSERT INTO products (supplier_id, sku, status, name, shelf_state, price_fen, created_at, updated_at) VALUES (?, 'S-FIRST', 'active', '稀有型号 共同词', 1, 100, 0, 0)",
      small,
    );
    // One statement, in SQL both databases read: row by row, each insert would be a round trip to PostgreSQL.
    await db.run(
      "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 24999) " +
        "INSERT INTO products (supplier_id, sku, status, name, shelf_state, price_fen, created_at, updated_at) " +
        `SELECT ${big}, 'B-' || CAST(i AS TEXT), 'active', '共同词 ' || CAST(i AS TEXT), 1, 100, 0, 0 FROM n`,
    );
    await db.run(insert, small, "S-LAST", "共同词 最后一个");
    const found: string[] = [];
    let afterId: number | null | undefined;
    let pages = 0;
    let partial = 0;
    do {
      const body = (await apiGet("admin", `/products?name=${encodeURIComponent("共同词")}&supplier=SMALL&limit=10${afterId ? `&afterId=${afterId}` : ""}`)) as {
        products: Array<{ sku: string }>;
        nextAfterId: number | null;
      };
      found.push(...body.products.map((p) => p.sku));
      if (body.products.length < 10 && body.nextAfterId !== null) partial += 1;
      afterId = body.nextAfterId;
      pages += 1;
    } while (afterId !== null && pages < 100);
    expect(found).toEqual(["S-FIRST", "S-LAST"]);
    if (onPostgres) {
      // No scan budget there: the trigram index and the filters answer in one statement, and every page is full or the last.
      expect(partial).toBe(0);
      await db.run("DELETE FROM products WHERE name LIKE '%共同词%'");
      return;
    }
    // SMALL's id range spans BIG's 25,000 rows: more than one page's budget, so a page ended early.
    expect(partial).toBeGreaterThan(0);

    // The console says the page was cut short and offers to go on.
    const s: ConsoleSession = await consoleLogin(gw.url, "plans_admin", PASSWORD);
    const page = await (
      await getPage(
        gw.url,
        s,
        `/admin/products?name=${encodeURIComponent("共同词")}&supplier=SMALL&afterId=${(await db.value<number>("SELECT id FROM products WHERE sku = 'S-FIRST'")) ?? 0}`,
      )
    ).text();
    expect(page).toContain("继续查找");
    await db.run("DELETE FROM products WHERE name LIKE '%共同词%'");
  }, 60_000);

  it("finds a product by its catalogId as well as its interfaceCode, page after page, without repeats", async () => {
    const byCode = (await apiGet("admin", "/products?catalog=A7&limit=20")) as { products: Array<{ id: number; interfaceCode: string }>; nextAfterId: number };
    expect(byCode.products).toHaveLength(20);
    expect(byCode.products.every((p) => p.interfaceCode === "A7")).toBe(true);
    const ids: number[] = [];
    let afterId: number | null = null;
    do {
      const body = (await apiGet("admin", `/products?catalog=C7&limit=17${afterId ? `&afterId=${afterId}` : ""}`)) as {
        products: Array<{ id: number; catalogId: string }>;
        nextAfterId: number | null;
      };
      expect(body.products.every((p) => p.catalogId === "C7")).toBe(true);
      ids.push(...body.products.map((p) => p.id));
      afterId = body.nextAfterId;
    } while (afterId !== null);
    expect(ids).toEqual([...new Set(ids)].sort((a, b) => a - b));
    expect(ids).toHaveLength(PRODUCTS / 30);
  });

  it("a supplier user reads its own message log although its supplier was never connected", async () => {
    const body = (await apiGet("supplier", "/sync/messages?limit=5")) as { messages: Array<{ supplierId: number }> };
    expect(body.messages).toHaveLength(5);
    const big = (await gw.container.repos.accounts.supplierByCode("BIG"))?.id;
    expect(body.messages.every((m) => m.supplierId === big)).toBe(true);
    expect(((await apiGet("admin", "/sync/runs?supplier=SMALL")) as { runs: unknown[] }).runs).toEqual([]);
  });

  it("the console's audit page walks the hash chain only when asked", async () => {
    const s = await consoleLogin(gw.url, "plans_admin", PASSWORD);
    seen.length = 0;
    const plain = await (await getPage(gw.url, s, "/admin/audit")).text();
    expect(plain).toContain("校验全部记录");
    expect(plain).not.toContain("完整");
    expect(seen.some((x) => /from "audit_log" where "audit_log"."id" > \?/i.test(x.sql))).toBe(false);
    const verified = await (await getPage(gw.url, s, "/admin/audit?verify=1")).text();
    expect(verified).toContain("完整");
  });
});
