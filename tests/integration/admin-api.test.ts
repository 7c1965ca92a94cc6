import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminRoutes } from "../../src/admin/api/route-table.js";
import type { AdminRole } from "../../src/store/repos/admin-repo.js";
import { type PullerWorld, startPullerWorld } from "../helpers/puller-harness.js";
import { orderFile } from "../helpers/order-rig.js";
import { orderableSkus } from "../helpers/order-products.js";
import { rawSql } from "../helpers/raw-sql.js";

const PASSWORD = "correct horse battery staple";
const ROLES: readonly AdminRole[] = ["admin", "procurement", "auditor"];

type Session = { cookie: string; csrf: string; role: AdminRole };

async function login(url: string, username: string, password = PASSWORD): Promise<Response> {
  return fetch(`${url}/admin/api/login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ username, password }) });
}

async function session(url: string, username: string, role: AdminRole): Promise<Session> {
  const res = await login(url, username);
  expect(res.status).toBe(200);
  const body = (await res.json()) as { csrfToken: string };
  return { cookie: (res.headers.get("set-cookie") ?? "").split(";")[0] ?? "", csrf: body.csrfToken, role };
}

function call(url: string, s: Session | undefined, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  return fetch(`${url}/admin/api${path}`, {
    method,
    headers: {
      ...(s ? { cookie: s.cookie, "x-csrf-token": s.csrf } : {}),
      ...(body === undefined ? {} : { "content-type": "application/json" }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

describe("admin API", () => {
  let world: PullerWorld;
  let url: string;
  const sessions = {} as Record<AdminRole, Session>;

  beforeAll(async () => {
    world = await startPullerWorld({ products: 40 });
    url = world.gw.url;
    for (const role of ROLES) {
      await world.gw.container.admin.users.create({ username: `${role}1`, role, password: PASSWORD });
      sessions[role] = await session(url, `${role}1`, role);
    }
    const run = await world.gw.container.sync.pull(world.code);
    expect(run.ran).toBe(true);
  });
  afterAll(async () => world?.close());

  it("sets an httpOnly, SameSite=Strict session cookie scoped to /admin, and answers the CSRF token", async () => {
    const res = await login(url, "admin1");
    const cookie = res.headers.get("set-cookie") ?? "";
    expect(cookie).toMatch(/^emall_admin_sid=[A-Za-z0-9_-]{43};/);
    expect(cookie).toContain("HttpOnly");
    expect(cookie).toContain("SameSite=Strict");
    expect(cookie).toContain("Path=/admin");
    expect(cookie).not.toContain("Secure"); // plain HTTP on loopback; Secure under TLS_CERT
    const me = await call(url, sessions.auditor, "GET", "/session");
    expect(await me.json()).toMatchObject({ username: "auditor1", role: "auditor", csrfToken: sessions.auditor.csrf });
  });

  it("stores only the sha256 of the session id", async () => {
    const id = decodeURIComponent(sessions.admin.cookie.split("=")[1] ?? "");
    const rows = await rawSql(world.gw.container.store).all<{ id_hash: string }>("SELECT id_hash FROM admin_sessions");
    expect(rows.some((r) => r.id_hash === id)).toBe(false);
    expect(rows.every((r) => /^[0-9a-f]{64}$/.test(r.id_hash))).toBe(true);
  });

  it("answers 401 without a session and 403 csrf_failed without the CSRF token or from another origin", async () => {
    const anon = await call(url, undefined, "GET", "/sync/runs");
    expect(anon.status).toBe(401);
    const body = (await anon.json()) as { error: { code: string; requestId: string } };
    expect(body.error.code).toBe("unauthenticated");
    expect(body.error.requestId).toBe(anon.headers.get("x-request-id"));

    const noToken = await fetch(`${url}/admin/api/products/SIM/x/listing/apply`, {
      method: "POST",
      headers: { cookie: sessions.admin.cookie, "content-type": "application/json" },
      body: "{}",
    });
    expect(noToken.status).toBe(403);
    expect(((await noToken.json()) as { error: { code: string } }).error.code).toBe("csrf_failed");

    const foreign = await call(url, sessions.admin, "POST", "/products/SIM/x/listing/apply", {}, { origin: "https://evil.example" });
    expect(foreign.status).toBe(403);
  });

  it("answers field-level errors in one shape", async () => {
    const res = await call(url, sessions.auditor, "GET", "/sync/messages?type=3&limit=0&from=yesterday");
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as { error: { code: string; fields: Array<{ field: string }> } };
    expect(error.code).toBe("invalid_input");
    expect(error.fields.map((f) => f.field).sort()).toEqual(["query.from", "query.limit", "query.type"]);

    const bad = await call(url, sessions.procurement, "POST", "/orders", { supplier: world.code, items: [{ sku: "x", num: 0 }] });
    expect(bad.status).toBe(400);
    const fields = ((await bad.json()) as { error: { fields: Array<{ field: string }> } }).error.fields.map((f) => f.field);
    expect(fields).toContain("body.items[0].num");
    expect(fields).toContain("body.name");

    const notJson = await fetch(`${url}/admin/api/users`, {
      method: "POST",
      headers: { cookie: sessions.admin.cookie, "x-csrf-token": sessions.admin.csrf, "content-type": "text/plain" },
      body: "hi",
    });
    expect(notJson.status).toBe(415);
  });

  it("walks the whole route table for each role: allowed → not 403, forbidden → 403", async () => {
    const sample: Record<string, string> = {
      code: "NOPE",
      username: "nobody1",
      runId: "run_missing",
      id: "999999",
      supplier: "NOPE",
      sku: "none",
      yggcOrder: "TJ0",
    };
    const checked: string[] = [];
    for (const route of adminRoutes) {
      if (route.roles === "public") continue;
      const path = route.path.replace(/:(\w+)/g, (_m, name: string) => sample[name] ?? "x");
      for (const role of ROLES) {
        // Logout and password change end the session; they are walked with a throwaway one.
        const s = route.path === "/logout" || route.path === "/session/password" ? await session(url, `${role}1`, role) : sessions[role];
        const res = await call(url, s, route.method, path, route.method === "GET" ? undefined : {});
        const allowed = route.roles.includes(role);
        checked.push(`${role} ${route.method} ${route.path} ${res.status}`);
        if (allowed) expect(res.status, `${role} ${route.method} ${route.path}`).not.toBe(403);
        else {
          expect(res.status, `${role} ${route.method} ${route.path}`).toBe(403);
          expect(((await res.json()) as { error: { code: string } }).error.code).toBe("forbidden");
        }
      }
    }
    expect(checked.length).toBe(adminRoutes.filter((r) => r.roles !== "public").length * ROLES.length);
  });

  it("pages sync runs by `before` and messages by `afterId`, and drills down from a message to its calls", async () => {
    const runs = (await (await call(url, sessions.auditor, "GET", `/sync/runs?supplier=${world.code}&limit=1`)).json()) as {
      runs: Array<{ id: string; startedAt: number }>;
      nextBefore: number | null;
    };
    expect(runs.runs).toHaveLength(1);
    const runId = runs.runs[0]?.id ?? "";
    const first = (await (await call(url, sessions.auditor, "GET", `/sync/messages?runId=${runId}&limit=5`)).json()) as {
      messages: Array<{ id: number; callSeqs: number[] }>;
      nextAfterId: number;
    };
    expect(first.messages).toHaveLength(5);
    const second = (await (await call(url, sessions.auditor, "GET", `/sync/messages?runId=${runId}&limit=5&afterId=${first.nextAfterId}`)).json()) as {
      messages: Array<{ id: number }>;
    };
    expect(second.messages[0]?.id).toBeGreaterThan(first.messages[4]?.id ?? Infinity);
    const withCalls = first.messages.find((m) => m.callSeqs.length > 0) ?? first.messages[0];
    const drill = (await (await call(url, sessions.auditor, "GET", `/sync/messages/${withCalls?.id}/calls`)).json()) as {
      calls: Array<{ seq: number; endpoint: string }>;
    };
    expect(drill.calls.map((c) => c.seq)).toEqual(withCalls?.callSeqs);
  });

  it("searches products and walks the listing step: apply → approve, audited; a rejected product cannot apply", async () => {
    const active = (await (await call(url, sessions.procurement, "GET", `/products?supplier=${world.code}&status=active&limit=2`)).json()) as {
      products: Array<{ sku: string; listingState: string }>;
    };
    const sku = active.products[0]?.sku ?? "";
    expect(active.products[0]?.listingState).toBe("none");
    expect((await call(url, sessions.admin, "POST", `/products/${world.code}/${sku}/listing/approve`, {})).status).toBe(409);
    expect((await call(url, sessions.admin, "POST", `/products/${world.code}/${sku}/listing/apply`, {})).status).toBe(200);
    const approved = await call(url, sessions.admin, "POST", `/products/${world.code}/${sku}/listing/approve`, { note: "资质齐全" });
    expect(await approved.json()).toEqual({ sku, listingState: "approved", reason: "资质齐全" });
    const listed = (await (await call(url, sessions.procurement, "GET", `/products?listingState=approved`)).json()) as { products: Array<{ sku: string }> };
    expect(listed.products.map((p) => p.sku)).toEqual([sku]);

    const rejected = (await (await call(url, sessions.admin, "GET", `/products?status=rejected&limit=1`)).json()) as {
      products: Array<{ sku: string; reasons: Array<{ code: number }> }>;
    };
    if (rejected.products[0]) {
      expect(rejected.products[0].reasons.length).toBeGreaterThan(0);
      expect((await call(url, sessions.admin, "POST", `/products/${world.code}/${rejected.products[0].sku}/listing/apply`, {})).status).toBe(409);
    }
    const trail = await world.gw.container.admin.audit.list({ action: "product.listing_", limit: 10 });
    expect(trail.map((r) => `${r.action} ${r.outcome}`)).toEqual(
      expect.arrayContaining(["product.listing_approve ok", "product.listing_apply ok", "product.listing_approve refused"]),
    );
    expect(trail.find((r) => r.action === "product.listing_approve" && r.outcome === "ok")?.summaryJson).toContain('"after":{"listingState":"approved"}');
  });

  it("creates and pushes an order as procurement, with its timeline; the push is audited", async () => {
    const truth = world.sim.sim.exportTruth().products;
    const stored = new Set(await world.gw.container.repos.products.onShelfSkus(world.supplierId));
    const sku = orderableSkus(truth, "120000", 2).find((t) => stored.has(t.sku))?.sku ?? "";
    const created = await call(url, sessions.procurement, "POST", "/orders", orderFile([{ sku }], { supplier: world.code }));
    expect(created.status).toBe(201);
    const { order } = (await created.json()) as { order: { yggc_order: string; state: string } };
    expect(order.state).toBe("created");
    const pushed = (await (await call(url, sessions.procurement, "POST", `/orders/${order.yggc_order}/push`, {})).json()) as { order: { state: string } };
    expect(pushed.order.state).toBe("confirmed");
    const shown = (await (await call(url, sessions.procurement, "GET", `/orders/${order.yggc_order}`)).json()) as {
      order: { timeline: Array<{ step: string }>; consignee?: unknown };
    };
    expect(shown.order.timeline.map((e) => e.step)).toEqual(expect.arrayContaining(["create", "submit", "confirm"]));
    expect(shown.order.consignee).toBeUndefined();
    const audit = (await world.gw.container.admin.audit.list({ action: "order.push", limit: 1 }))[0];
    expect(audit?.actor).toBe("procurement1");
    expect(audit?.summaryJson).toContain('"after":{');
    expect(audit?.summaryJson).not.toContain("13812345678");
  });

  it("rotates a supplier's secrets once, audits the rotation without the secrets", async () => {
    const res = await call(url, sessions.admin, "POST", `/suppliers/${world.code}/rotate`, { password: true, appSecret: true });
    const { credentials } = (await res.json()) as { credentials: { password: string; appSecret: string } };
    expect(credentials.password.length).toBeGreaterThan(10);
    const row = (await world.gw.container.admin.audit.list({ action: "supplier.rotate_secrets", limit: 1 }))[0];
    expect(row?.summaryJson).toContain('"rotated":["password","appSecret"]');
    expect(row?.summaryJson).not.toContain(credentials.password);
    expect(row?.summaryJson).not.toContain(credentials.appSecret);
  });

  it("locks a username after 5 wrong passwords in 15 minutes, even for the right one, and audits the window's first failure and the lock", async () => {
    await world.gw.container.admin.users.create({ username: "victim", role: "auditor", password: PASSWORD });
    for (let i = 0; i < 5; i += 1) expect((await login(url, "victim", "wrong password!")).status).toBe(401);
    const locked = await login(url, "victim");
    expect(locked.status).toBe(429);
    expect(((await locked.json()) as { error: { code: string } }).error.code).toBe("locked");
    world.gw.clock.advance(15 * 60_000 + 1);
    expect((await login(url, "victim")).status).toBe(200);
    const attempts = (await world.gw.container.admin.audit.list({ actor: "victim", action: "session.login", limit: 10 })).map((r) => r.outcome);
    expect(attempts).toEqual(["ok", "refused", "refused"]);
    const refused = (await world.gw.container.admin.audit.list({ actor: "victim", action: "session.login", limit: 10 })).filter((r) => r.outcome === "refused");
    expect(refused.map((r) => JSON.parse(r.summaryJson) as { error: string; failuresInWindow: number })).toEqual([
      { error: "locked", failuresInWindow: 5 },
      { error: "bad credentials", failuresInWindow: 1 },
    ]);
  });

  it("ends sessions when a user is disabled", async () => {
    const s = await session(url, "victim", "auditor");
    expect((await call(url, sessions.admin, "PATCH", "/users/victim", { enabled: false })).status).toBe(200);
    expect((await call(url, s, "GET", "/audit")).status).toBe(401);
    expect((await login(url, "victim")).status).toBe(401);
  });

  it("keeps the audit chain intact through all of it", async () => {
    const verdict = (await (await call(url, sessions.auditor, "GET", "/audit/verify")).json()) as { verdict: { ok: boolean; rows: number } };
    expect(verdict.verdict.ok).toBe(true);
    expect(verdict.verdict.rows).toBeGreaterThan(20);
  });
});
