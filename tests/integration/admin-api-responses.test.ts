import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { routeById } from "../../src/admin/api/route-table.js";
import type { AdminRoute } from "../../src/admin/api/route-types.js";
import type { AdminRole } from "../../src/store/repos/admin-repo.js";
import { nextCreditCode } from "../helpers/harness.js";
import { orderableSkus } from "../helpers/order-products.js";
import { AREA, orderFile } from "../helpers/order-rig.js";
import { type PullerWorld, startPullerWorld } from "../helpers/puller-harness.js";

const PASSWORD = "correct horse battery staple";
type Session = { cookie: string; csrf: string };
type Call = { as: AdminRole; method: AdminRoute["method"]; path: string; url?: string; body?: unknown };

/**
 * Real answers of the admin API against the schemas the OpenAPI document publishes: each must
 * parse, and parsing must drop nothing (a field the handler sends but the schema lacks is drift).
 */
describe("admin API answers match their documented response schemas", () => {
  let world: PullerWorld;
  const sessions = {} as Record<AdminRole, Session>;
  const seen = new Set<AdminRoute>();

  async function login(username: string): Promise<Session> {
    const res = await fetch(`${world.gw.url}/admin/api/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username, password: PASSWORD }),
    });
    expect(res.status).toBe(200);
    const body = await res.json();
    routeById("POST", "/login").response?.parse(body);
    seen.add(routeById("POST", "/login"));
    return { cookie: (res.headers.get("set-cookie") ?? "").split(";")[0] ?? "", csrf: (body as { csrfToken: string }).csrfToken };
  }

  /** Calls the route, checks its status and its body against the route's schema, answers the body. */
  async function check<T = Record<string, unknown>>(c: Call): Promise<T> {
    const route = routeById(c.method, c.path);
    const s = sessions[c.as];
    const res = await fetch(`${world.gw.url}/admin/api${c.url ?? c.path}`, {
      method: c.method,
      headers: { cookie: s.cookie, "x-csrf-token": s.csrf, ...(c.body === undefined ? {} : { "content-type": "application/json" }) },
      body: c.body === undefined ? undefined : JSON.stringify(c.body),
    });
    const raw: unknown = await res.json();
    expect(res.status, `${c.method} ${c.url ?? c.path}: ${JSON.stringify(raw).slice(0, 300)}`).toBe(route.status ?? 200);
    if (!route.response) throw new Error(`${c.method} ${c.path} has no response schema`);
    const parsed = route.response.safeParse(raw);
    expect(parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`), `${c.method} ${c.url ?? c.path}`).toEqual([]);
    expect(parsed.data, `${c.method} ${c.url ?? c.path}: fields the schema does not document`).toEqual(raw);
    seen.add(route);
    return raw as T;
  }

  beforeAll(async () => {
    world = await startPullerWorld({ products: 40 });
    const users = world.gw.container.admin.users;
    for (const role of ["admin", "procurement", "auditor"] as const) await users.create({ username: `${role}1`, role, password: PASSWORD });
    await users.create({ username: "supplier1", role: "supplier", supplier: world.code, password: PASSWORD });
    for (const role of ["admin", "procurement", "auditor", "supplier"] as const) sessions[role] = await login(`${role}1`);
    // The products and orders below need a store filled by a pull, whatever the manual pull's test finds.
    expect((await world.gw.container.sync.pull(world.code)).ran).toBe(true);
  });
  afterAll(async () => world?.close());

  it("session, users and the audit log", async () => {
    await check({ as: "auditor", method: "GET", path: "/session" });
    await check({ as: "supplier", method: "GET", path: "/session" });
    await check({ as: "admin", method: "POST", path: "/users", body: { username: "reader2", role: "auditor", password: PASSWORD } });
    await check({ as: "admin", method: "PATCH", path: "/users/:username", url: "/users/reader2", body: { enabled: false } });
    await check({ as: "admin", method: "GET", path: "/users" });
    const audit = await check<{ entries: unknown[] }>({ as: "auditor", method: "GET", path: "/audit", url: "/audit?limit=5" });
    expect(audit.entries.length).toBeGreaterThan(0);
    await check({ as: "auditor", method: "GET", path: "/audit/verify" });
  });

  it("suppliers, a manual pull, its run and messages", async () => {
    await check({
      as: "admin",
      method: "POST",
      path: "/suppliers",
      body: { code: "DOCS2", name: "第二电商", creditCode: await nextCreditCode(), domains: ["shop.example.cn"] },
    });
    await check({ as: "admin", method: "GET", path: "/suppliers" });
    await check({ as: "admin", method: "PATCH", path: "/suppliers/:code/connection", url: `/suppliers/${world.code}/connection`, body: { timeoutMs: 3000 } });
    const { run } = await check<{ run: { runId: string } }>({
      as: "admin",
      method: "POST",
      path: "/suppliers/:code/sync",
      url: `/suppliers/${world.code}/sync`,
      body: {},
    });
    await check({ as: "admin", method: "GET", path: "/suppliers/:code", url: `/suppliers/${world.code}` });
    await check({ as: "admin", method: "GET", path: "/suppliers/:code/quarantine", url: `/suppliers/${world.code}/quarantine` });
    await check({ as: "auditor", method: "GET", path: "/sync/quarantine", url: `/sync/quarantine?supplier=${world.code}` });
    await check({ as: "auditor", method: "GET", path: "/sync/runs" });
    await check({ as: "supplier", method: "GET", path: "/sync/runs/:runId", url: `/sync/runs/${run.runId}` });
    const { messages } = await check<{ messages: Array<{ id: number }> }>({
      as: "auditor",
      method: "GET",
      path: "/sync/messages",
      url: `/sync/messages?supplier=${world.code}&limit=5`,
    });
    expect(messages.length).toBeGreaterThan(0);
    await check({ as: "auditor", method: "GET", path: "/sync/messages/:id/calls", url: `/sync/messages/${messages[0]?.id ?? 0}/calls` });
    await check({ as: "admin", method: "GET", path: "/suppliers/:code/trust-mark", url: `/suppliers/${world.code}/trust-mark` });
    await check({ as: "admin", method: "GET", path: "/conformance/runs" });
  });

  it("products, the listing step, the dashboard and charts", async () => {
    const { products } = await check<{ products: Array<{ sku: string; status: string }> }>({
      as: "procurement",
      method: "GET",
      path: "/products",
      url: `/products?supplier=${world.code}&limit=50`,
    });
    const active = products.find((p) => p.status === "active");
    const rejected = products.find((p) => p.status === "rejected");
    expect(active && rejected).toBeTruthy();
    await check({ as: "supplier", method: "GET", path: "/products/:supplier/:sku", url: `/products/${world.code}/${encodeURIComponent(rejected?.sku ?? "")}` });
    await check({ as: "admin", method: "GET", path: "/products/:supplier/:sku", url: `/products/${world.code}/${encodeURIComponent(active?.sku ?? "")}` });
    await check({
      as: "supplier",
      method: "POST",
      path: "/products/:supplier/:sku/listing/apply",
      url: `/products/${world.code}/${encodeURIComponent(active?.sku ?? "")}/listing/apply`,
      body: {},
    });
    for (const role of ["admin", "procurement", "auditor", "supplier"] as const) {
      await check({ as: role, method: "GET", path: "/dashboard" });
      await check({ as: role, method: "GET", path: "/charts" });
    }
  });

  it("an order from the order form to its push, as staff and as its supplier read it", async () => {
    const truth = world.sim.sim.exportTruth().products;
    const stored = new Set(await world.gw.container.repos.products.onShelfSkus(world.supplierId));
    const sku = orderableSkus(truth, AREA.province, 2).find((t) => stored.has(t.sku))?.sku ?? "";
    const form = `/order-form?supplier=${world.code}&q=${encodeURIComponent(sku)}&province=${AREA.province}&city=${AREA.city}&county=${AREA.county}`;
    const helper = await check<{ products: unknown[] }>({ as: "procurement", method: "GET", path: "/order-form", url: form });
    expect(helper.products.length).toBeGreaterThan(0);
    const { order } = await check<{ order: { yggc_order: string } }>({
      as: "procurement",
      method: "POST",
      path: "/orders",
      body: orderFile([{ sku }], { supplier: world.code }),
    });
    const pushed = await check<{ order: { state: string } }>({
      as: "procurement",
      method: "POST",
      path: "/orders/:yggcOrder/push",
      url: `/orders/${order.yggc_order}/push`,
      body: {},
    });
    expect(pushed.order.state).toBe("confirmed");
    await check({ as: "procurement", method: "GET", path: "/orders/:yggcOrder", url: `/orders/${order.yggc_order}` });
    await check({ as: "supplier", method: "GET", path: "/orders/:yggcOrder", url: `/orders/${order.yggc_order}` });
    for (const role of ["procurement", "supplier"] as const) {
      const list = await check<{ orders: unknown[] }>({ as: role, method: "GET", path: "/orders" });
      expect(list.orders.length).toBeGreaterThan(0);
    }
    await check({ as: "procurement", method: "GET", path: "/order-pushes" });
  });

  it("covers every tag with a JSON answer, and ends a session", async () => {
    await check({ as: "auditor", method: "POST", path: "/logout", body: {} });
    const tags = new Set([...seen].map((r) => r.tag));
    expect([...tags].sort()).toEqual(["audit", "conformance", "dashboard", "orders", "products", "session", "suppliers", "sync", "users"]);
    expect(seen.size).toBeGreaterThanOrEqual(30);
  });
});
