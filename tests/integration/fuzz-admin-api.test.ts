import fc from "fast-check";
import type { z } from "zod";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { adminErrorStatus } from "../../src/admin/admin-errors.js";
import { CSRF_HEADER, SESSION_COOKIE } from "../../src/admin/admin-http.js";
import { adminRoutes } from "../../src/admin/api/route-table.js";
import type { AdminRoute } from "../../src/admin/api/route-types.js";
import { type TestGateway, startTestGateway } from "../helpers/harness.js";
import {
  type RawReply,
  type WireBody,
  fuzzParams,
  hostileBody,
  leaksInternals,
  mutate,
  mutation,
  oddFields,
  oversizedBody,
  rawRequest,
  wireHeaders,
} from "../helpers/fuzz-kit.js";
import type { RunningSimulator } from "../../src/simulator/simulator-server.js";
import { nextCreditCode } from "../helpers/harness.js";
import { AREA, orderFile } from "../helpers/order-rig.js";
import { copySimulatorProducts, orderableSkus } from "../helpers/order-products.js";
import { TEST_ACCOUNT, launchSimulator } from "../helpers/simulator-harness.js";

/**
 * Fuzz of every route in the admin API's one table, as a logged-in admin (so the input reaches
 * validation and the handler): random path parameters, query strings and bodies, wrong content
 * types, invalid UTF-8, deep and oversized JSON. Every answer is JSON (an export's CSV when it succeeds); a failure is the API's one
 * error shape {error:{code,message,requestId}} with the status its code stands for; never a 5xx.
 */

// Properties run hundreds of HTTP cases; two shared cores can make that slow, never wrong.
vi.setConfig({ testTimeout: 120_000 });

const FUZZ_USER = "fuzz-operator-7f3a";
const ENDS_SESSION = new Set(["/logout", "/session/password"]);
const PASSWORD = "correct horse battery staple";

let gw: TestGateway;
let sim: RunningSimulator;
let orderSku = "";
let session: { sid: string; csrf: string } | undefined;

beforeAll(async () => {
  gw = await startTestGateway();
  await gw.container.admin.users.create({ username: FUZZ_USER, role: "admin", password: PASSWORD });
  // A connected supplier with stored products, so valid-looking bodies reach the handlers' own checks.
  sim = await launchSimulator({ products: 20, invalidShare: 0, offShelfShare: 0 });
  await gw.container.supplierAccounts.create({ code: "SIMJD", name: "模拟电商", creditCode: await nextCreditCode(), domains: [sim.sim.domain] });
  await gw.container.supplierConnections.connect({ code: "SIMJD", baseUrl: sim.url, ...TEST_ACCOUNT, qps: 10_000, maxConcurrent: 4, timeoutMs: 5_000 });
  const supplierId = (await gw.container.repos.accounts.supplierByCode("SIMJD"))?.id ?? -1;
  await copySimulatorProducts(gw.container, supplierId, sim.sim.exportTruth().products);
  orderSku =
    orderableSkus(sim.sim.exportTruth().products, AREA.province, 1_000)[0]?.sku ?? orderableSkus(sim.sim.exportTruth().products, AREA.province)[0]?.sku ?? "";
});
afterAll(async () => {
  await gw.container.supplierConnections.closeAll();
  await gw.close();
  await sim.close();
});

/** A live admin session; remade when a fuzzed call ended it (logout, password change, disabling the user). */
async function adminSession(): Promise<{ sid: string; csrf: string }> {
  if (session && (await gw.container.admin.sessions.resolve(session.sid))) return session;
  const user = (await gw.container.admin.users.list()).find((u) => u.username === FUZZ_USER);
  // Only a fuzzed call that changed the user (role, password, disabled) costs a password hash here.
  if (user?.role !== "admin" || !(await gw.container.admin.users.check(FUZZ_USER, PASSWORD))) {
    await gw.container.admin.users.update(FUZZ_USER, { role: "admin", enabled: true, password: PASSWORD });
  }
  const s = await gw.container.admin.sessions.login(FUZZ_USER, PASSWORD, "fuzz");
  session = { sid: s.sessionId, csrf: s.csrfToken };
  return session;
}

const shapeKeys = (schema: z.ZodType | undefined): string[] => {
  const shape = (schema as unknown as { shape?: Record<string, unknown> } | undefined)?.shape;
  return shape ? Object.keys(shape) : [];
};

/** A path segment: plain, unicode, or broken percent-encoding. */
const segment = fc.oneof(
  fc.string({ minLength: 1, maxLength: 30 }).map(encodeURIComponent),
  fc.string({ unit: "grapheme", minLength: 1, maxLength: 10 }).map(encodeURIComponent),
  fc.constantFrom("%", "%FF", "%C3%28", "%00", "..", "%2e%2e", "0", "-1", "9".repeat(30), "1e3", "%E4%B8", "__proto__", "constructor"),
);

/** A query string: the route's own keys (and strangers) with odd, repeated or broken values. */
function queryString(keys: readonly string[]): fc.Arbitrary<string> {
  const key = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...keys, "x") },
    { weight: 1, arbitrary: fc.constantFrom("__proto__", "constructor", "a[b]", "") },
  );
  const value = fc.oneof(
    fc.string({ maxLength: 30 }).map(encodeURIComponent),
    fc.constantFrom("", "%", "%FF", "-1", "0", "99999999999999999999", "1.5", "true", "NaN", "2026-13-45", "1e309", "%00"),
  );
  return fc
    .array(fc.tuple(key, value), { maxLength: 8 })
    .map((pairs) => (pairs.length === 0 ? "" : `?${pairs.map(([k, v]) => `${encodeURIComponent(k)}=${v}`).join("&")}`));
}

function routePath(route: AdminRoute): fc.Arbitrary<string> {
  const names = [...route.path.matchAll(/:(\w+)/g)].map((m) => m[1] ?? "");
  return fc.tuple(fc.array(segment, { minLength: names.length, maxLength: names.length }), queryString(shapeKeys(route.query))).map(([values, query]) => {
    let i = 0;
    return `/admin/api${route.path.replace(/:(\w+)/g, () => values[i++] ?? "x")}${query}`;
  });
}

/** The admin API's promise for every answer. */
function expectAdminAnswer(reply: RawReply, context: string): void {
  const where = `${context} → HTTP ${reply.status} ${reply.text.slice(0, 400)}`;
  expect(reply.status, where).not.toBe(0);
  // The one 5xx with a cause outside the gateway: the supplier itself failed (a fuzzed connection
  // change can point it at a wrong account). Named as such, never an internal error.
  const upstream = reply.status === 502 && reply.text.includes('"code":"supplier_unavailable"');
  if (!upstream) expect(reply.status, where).toBeLessThan(500);
  expect(leaksInternals(reply.text), where).toBe(false);
  // Exports answer CSV when they succeed; every other answer, and every failure, is JSON.
  if (reply.status < 400 && String(reply.headers["content-type"]).startsWith("text/csv")) return;
  expect(String(reply.headers["content-type"]), where).toMatch(/^application\/json/);
  const body = JSON.parse(reply.text) as { success?: unknown; error?: { code?: unknown; message?: unknown; requestId?: unknown } };
  if (reply.status < 400) {
    // A docking envelope here means the request fell through to the mall's handlers.
    expect(body.success, where).not.toBe(false);
    expect(body.error, where).toBeUndefined();
    return;
  }
  expect(body.error, where).toBeDefined();
  const code = String(body.error?.code);
  expect(Object.keys(adminErrorStatus), where).toContain(code);
  expect(reply.status, where).toBe(adminErrorStatus[code as keyof typeof adminErrorStatus]);
  expect(typeof body.error?.message, where).toBe("string");
  expect(typeof body.error?.requestId, where).toBe("string");
}

async function send(method: string, path: string, wire: WireBody | undefined, extraHeaders: Record<string, string> = {}): Promise<RawReply> {
  const s = await adminSession();
  const headers: Record<string, string> = {
    cookie: `${SESSION_COOKIE}=${encodeURIComponent(s.sid)}`,
    [CSRF_HEADER]: s.csrf,
    ...extraHeaders,
    ...wireHeaders(wire),
  };
  return rawRequest(gw.url, { method, path, headers, body: wire?.body });
}

async function stillServing(): Promise<void> {
  const s = await adminSession();
  const reply = await rawRequest(gw.url, { method: "GET", path: "/admin/api/session", headers: { cookie: `${SESSION_COOKIE}=${encodeURIComponent(s.sid)}` } });
  expect(reply.status, reply.text).toBe(200);
}

describe.each(adminRoutes.map((r) => [`${r.method} ${r.path}`, r] as const))("fuzz %s", (label, route) => {
  const bodyKeys = shapeKeys(route.body);
  const hasBody = route.method !== "GET";

  it("random parameters, queries and bodies get JSON with the API's error shape, never a 5xx", async () => {
    const body = hasBody
      ? fc.oneof(
          hostileBody([...bodyKeys, "x"]),
          oddFields([...bodyKeys, "x"]).map((f): WireBody => ({ label: "odd fields", contentType: "application/json", body: Buffer.from(JSON.stringify(f)) })),
        )
      : fc.constant(undefined);
    await fc.assert(
      fc.asyncProperty(routePath(route), body, async (path, wire) => {
        const reply = await send(route.method, path, wire);
        expectAdminAnswer(reply, `${label} ${path} ${wire?.label ?? ""}`);
      }),
      // Routes that end the session make every case log in again (a password hash each): fewer cases.
      fuzzParams(ENDS_SESSION.has(route.path) ? 30 : hasBody ? 120 : 60),
    );
    await stillServing();
  });

  if (hasBody) {
    it("a body over the limit is 413 payload_too_large", async () => {
      const path = `/admin/api${route.path.replace(/:(\w+)/g, "x")}`;
      for (const kind of ["json", "form"] as const) {
        const reply = await send(route.method, path, oversizedBody(300 * 1024, kind));
        expectAdminAnswer(reply, `${label} 300 KiB ${kind}`);
        expect([413, 415]).toContain(reply.status);
      }
      await stillServing();
    });
  }
});

/** A valid body per state-changing route, for mutations one field at a time. */
const validBodies = (): Array<{ method: string; path: string; body: unknown }> => [
  { method: "POST", path: "/admin/api/orders", body: orderFile([{ sku: orderSku, num: 1 }]) },
  { method: "POST", path: "/admin/api/suppliers", body: { code: "MUT1", name: "变异电商", creditCode: "91110000802100433B", domains: ["item.mut.cn"] } },
  {
    method: "PUT",
    path: "/admin/api/suppliers/SIMJD/connection",
    body: {
      baseUrl: sim.url,
      username: TEST_ACCOUNT.username,
      password: TEST_ACCOUNT.password,
      appSecret: TEST_ACCOUNT.appSecret,
      signMode: "hmac-sha256",
      qps: 100,
      maxConcurrent: 4,
      timeoutMs: 5_000,
    },
  },
  { method: "PATCH", path: "/admin/api/suppliers/SIMJD/connection", body: { qps: 50, stockAreas: ["120000_120100_120101"], pullSchedule: "*/5 * * * *" } },
  { method: "POST", path: "/admin/api/users", body: { username: "mutant", role: "auditor", password: "correct horse battery staple" } },
  { method: "POST", path: "/admin/api/sync/replay", body: { supplier: "SIMJD", all: true } },
  { method: "POST", path: "/admin/api/suppliers/SIMJD/rotate", body: { password: true } },
];

describe("fuzz of valid bodies with one field changed", () => {
  it("a valid body mutated at any depth still gets JSON with the API's error shape, never a 5xx", async () => {
    const statuses: number[] = [];
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: 6 }), fc.nat(), mutation, async (which, pick, m) => {
        const target = validBodies()[which];
        if (!target) return;
        const body = mutate(target.body, pick, m);
        const reply = await send(target.method, target.path, {
          label: "mutated valid body",
          contentType: "application/json",
          body: Buffer.from(JSON.stringify(body) ?? "null"),
        });
        expectAdminAnswer(reply, `${target.method} ${target.path} ${(JSON.stringify(body) ?? "(no body)").slice(0, 300)}`);
        statuses.push(reply.status);
      }),
      fuzzParams(200),
    );
    // Both sides of the handlers were reached: some mutations are harmless, most are refused.
    expect(statuses.some((s) => s < 300)).toBe(true);
    expect(statuses.some((s) => s === 400)).toBe(true);
    await stillServing();
  });
});

describe("fuzz around the route table", () => {
  it("unknown methods and paths under /admin/api answer the error shape", async () => {
    const path = fc.oneof(
      fc.webPath().map((p) => `/admin/api${p}`),
      fc.constantFrom("/admin/api/%", "/admin/api/%FF", "/admin/api/users/%C3%28", "/admin/api/../api/session"),
    );
    await fc.assert(
      fc.asyncProperty(fc.constantFrom("GET", "POST", "PUT", "PATCH", "DELETE"), path, hostileBody(["x"]), async (method, p, wire) => {
        expectAdminAnswer(await send(method, p, method === "GET" ? undefined : wire), `${method} ${p} ${wire.label}`);
      }),
      fuzzParams(100),
    );
    await stillServing();
  });

  it("a logged-out caller gets 401 or 403 on every route whatever the input", async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...adminRoutes.filter((r) => r.roles !== "public")), hostileBody(["x"]), async (route, wire) => {
        const headers = wireHeaders(wire);
        const reply = await rawRequest(gw.url, {
          method: route.method,
          path: `/admin/api${route.path.replace(/:(\w+)/g, "x")}`,
          headers,
          body: route.method === "GET" ? undefined : wire.body,
        });
        expectAdminAnswer(reply, `${route.method} ${route.path} anonymous ${wire.label}`);
        if (reply.status !== 413) expect([401, 403, 415], reply.text).toContain(reply.status);
      }),
      fuzzParams(100),
    );
  });
});
