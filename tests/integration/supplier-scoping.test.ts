import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminRoutes } from "../../src/admin/api/route-table.js";
import { consolePages } from "../../src/admin/console/console-pages.js";
import { type Session, type TwoSupplierWorld, apiCall, apiLogin, startTwoSupplierWorld, PASSWORD } from "../helpers/two-supplier-world.js";

/** Session routes a supplier user calls on itself; they read no supplier's data and end the session. */
const OWN_SESSION = new Set(["POST /logout", "POST /session/password"]);
/** Supplier routes that take their supplier in the body: a valid body naming it. */
const BODY_NAMES_SUPPLIER: Record<string, (code: string) => Record<string, string>> = {
  "POST /conformance/runs": (supplier) => ({ supplier, baseUrl: "http://127.0.0.1:9", username: "u", password: "p", appSecret: "0123456789abcdef" }),
};

/**
 * The supplier portal's one promise: a supplier user of A reads nothing of B on any route of the
 * admin API or any console page — not through a list, a detail, a filter, a download or a guessed id.
 */
describe("supplier scoping across the whole route table and console", () => {
  let w: TwoSupplierWorld;
  let url: string;
  let supa: Session;
  let consoleCookie: string;

  beforeAll(async () => {
    w = await startTwoSupplierWorld();
    url = w.a.gw.url;
    supa = await apiLogin(url, "supa");
    Object.assign(FAKE, {
      [w.bFacts.runId]: "run_nowhere000000",
      [w.bFacts.yggcOrder]: "TJ999999999",
      [w.bFacts.code]: "NOSUCH",
      [String(w.bFacts.messageLogId)]: "987654321",
      [w.bFacts.conformanceRunId]: "crun_nowhere000000",
    });
    const res = await fetch(`${url}/admin/login`, {
      method: "POST",
      body: new URLSearchParams({ username: "supa", password: PASSWORD, next: "/admin/" }),
      redirect: "manual",
    });
    consoleCookie = (res.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
  }, 180_000);
  afterAll(async () => w?.close());

  /** B's texts in an answer, except those the request itself carried (an error may quote what was asked). */
  const leaks = (text: string, asked = "") => w.bFacts.markers.filter((m) => text.includes(m) && !decodeURIComponent(asked).includes(m));
  /**
   * The same request with every B identifier swapped for one that exists nowhere: a supplier user
   * must not be able to tell B's data from nothing, so both answers must read the same.
   */
  const FAKE: Record<string, string> = {};
  /** Whole identifiers only: B's message log id (a short number) must not be swapped inside a timestamp. */
  const swap = (text: string, real: string, fake: string) =>
    text.replace(new RegExp(`(?<![A-Za-z0-9])${real.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(?![A-Za-z0-9])`, "g"), fake);
  const twin = (pathAndQuery: string) => {
    let out = decodeURIComponent(pathAndQuery);
    for (const [real, fake] of Object.entries(FAKE)) out = swap(out, real, fake);
    return out;
  };
  const normalize = (text: string) => {
    let out = text.replace(/req_[A-Za-z0-9_.-]+/g, "req").replace(/name="_csrf" value="[^"]+"/g, "");
    for (const [real, fake] of Object.entries(FAKE)) out = swap(out, real, fake);
    return out;
  };

  /** B's identifiers for every path parameter a route can take: the guessed ids. */
  const bParams = () => ({
    code: w.bFacts.code,
    supplier: w.bFacts.code,
    sku: w.bFacts.sku,
    runId: w.bFacts.runId,
    id: String(w.bFacts.messageLogId),
    yggcOrder: w.bFacts.yggcOrder,
    conformanceRunId: w.bFacts.conformanceRunId,
    username: "supb",
  });
  const aParams = () => ({
    code: w.aFacts.code,
    supplier: w.aFacts.code,
    sku: w.aFacts.sku,
    runId: w.aFacts.runId,
    id: String(w.aFacts.messageLogId),
    yggcOrder: w.aFacts.yggcOrder,
    conformanceRunId: w.aFacts.conformanceRunId,
    username: "supa",
  });
  /** Filters that name B, alone and together. */
  const bQueries = () => [
    "",
    `supplier=${w.bFacts.code}`,
    `runId=${w.bFacts.runId}`,
    `sku=${w.bFacts.sku}`,
    `supplier=${w.bFacts.code}&sku=${w.bFacts.sku}`,
    `target=${w.bFacts.code}`,
    `before=${encodeURIComponent(`${Date.now() + 86_400_000}~zzzz`)}`,
  ];
  const fill = (path: string, params: Record<string, string>) =>
    path.replace(/:(\w+)/g, (_m, n: string) =>
      encodeURIComponent((n === "id" && path.startsWith("/conformance/") ? params.conformanceRunId : params[n]) ?? "x"),
    );

  it("the test world has data of both suppliers (so a leak could show)", async () => {
    const admin = await apiLogin(url, "admin");
    const all = await (await apiCall(url, admin, "GET", "/products?limit=200")).text();
    expect(all).toContain(w.bFacts.code);
    expect(leaks(await (await apiCall(url, admin, "GET", `/orders/${w.bFacts.yggcOrder}`)).text())).not.toEqual([]);
  });

  it("API: every route a supplier may call answers nothing of B, for every guessed id and filter; every other route is 403", async () => {
    const walked: string[] = [];
    for (const route of adminRoutes) {
      if (route.roles === "public") continue;
      const key = `${route.method} ${route.path}`;
      if (!route.roles.includes("supplier")) {
        const res = await apiCall(url, supa, route.method, fill(route.path, bParams()), route.method === "GET" ? undefined : {});
        expect(res.status, key).toBe(403);
        continue;
      }
      walked.push(key);
      if (OWN_SESSION.has(key)) continue;
      if (route.method === "GET") {
        for (const qs of bQueries()) {
          const asked = `${fill(route.path, bParams())}${qs ? `?${qs}` : ""}`;
          const res = await apiCall(url, supa, "GET", asked);
          const text = await res.text();
          expect([200, 400, 404], `${key}?${qs} → ${res.status}`).toContain(res.status);
          expect(leaks(text, asked), `${key}?${qs}`).toEqual([]);
          if (route.path.includes(":")) expect(res.status, `${key} with B's id`).toBe(404);
          const nothing = await apiCall(url, supa, "GET", twin(asked));
          expect(res.status, `${asked} vs ${twin(asked)}`).toBe(nothing.status);
          expect(normalize(text), `${asked} reads like ${twin(asked)}`).toBe(normalize(await nothing.text()));
        }
      } else {
        const before = (
          await w.a.gw.container.repos.products.bySku((await w.a.gw.container.repos.accounts.supplierByCode(w.bFacts.code))?.id ?? -1, w.bFacts.sku)
        )?.listingState;
        const asked = fill(route.path, bParams());
        // A route that names its supplier in the body (no path parameter) is asked about B there.
        const body = BODY_NAMES_SUPPLIER[key]?.(w.bFacts.code) ?? {};
        const res = await apiCall(url, supa, route.method, asked, body);
        expect(res.status, key).toBe(404);
        const text = await res.text();
        // What the caller sent may be said back to it.
        expect(leaks(text, `${asked} ${JSON.stringify(body)}`)).toEqual([]);
        const nothing = await apiCall(url, supa, route.method, twin(asked), BODY_NAMES_SUPPLIER[key]?.(FAKE[w.bFacts.code] ?? "NOSUCH") ?? {});
        expect(nothing.status).toBe(404);
        expect(normalize(text)).toBe(normalize(await nothing.text()));
        expect(
          (await w.a.gw.container.repos.products.bySku((await w.a.gw.container.repos.accounts.supplierByCode(w.bFacts.code))?.id ?? -1, w.bFacts.sku))
            ?.listingState,
        ).toBe(before);
      }
    }
    expect(walked.sort()).toEqual(
      adminRoutes
        .filter((r) => r.roles !== "public" && r.roles.includes("supplier"))
        .map((r) => `${r.method} ${r.path}`)
        .sort(),
    );
    expect(walked).toEqual(
      expect.arrayContaining([
        "GET /products",
        "GET /exports/products",
        "GET /exports/rejections",
        "GET /exports/orders",
        "GET /sync/messages/:id/calls",
        "GET /orders/:yggcOrder",
        "GET /conformance/runs",
        "GET /conformance/runs/:id",
        "GET /conformance/runs/:id/report.json",
        "GET /conformance/runs/:id/report.json.jws",
        "GET /conformance/runs/:id/report.html",
        "GET /conformance/runs/:id/mark.jws",
        "GET /suppliers/:code/trust-mark",
      ]),
    );
  });

  it("API: the same routes do answer A's own data to A (the walk above can see data when it is there)", async () => {
    for (const route of adminRoutes) {
      if (route.roles === "public" || !route.roles.includes("supplier") || route.method !== "GET") continue;
      const res = await apiCall(url, supa, "GET", fill(route.path, aParams()));
      expect(res.status, `${route.path} with A's ids`).toBe(200);
    }
    const products = (await (await apiCall(url, supa, "GET", "/products?limit=200")).json()) as { products: Array<{ supplier: string }> };
    expect(products.products.length).toBeGreaterThan(0);
    expect(new Set(products.products.map((p) => p.supplier))).toEqual(new Set([w.aFacts.code]));
    const csv = await (await apiCall(url, supa, "GET", "/exports/orders")).text();
    expect(csv).toContain(w.aFacts.yggcOrder);
    const runs = (await (await apiCall(url, supa, "GET", "/conformance/runs")).json()) as { runs: Array<{ id: string; supplier: string }> };
    expect(runs.runs.map((r) => r.id)).toEqual([w.aFacts.conformanceRunId]);
    const standing = (await (await apiCall(url, supa, "GET", `/suppliers/${w.aFacts.code}/trust-mark`)).json()) as {
      mark: { runId: string; state: string } | null;
    };
    expect(standing.mark).toMatchObject({ runId: w.aFacts.conformanceRunId, state: "valid" });
    const page = await (await fetch(`${url}/admin/conformance/runs/${w.aFacts.conformanceRunId}`, { headers: { cookie: consoleCookie } })).text();
    expect(page).toContain(`/admin/api/conformance/runs/${w.aFacts.conformanceRunId}/report.json`);
    const list = await (await fetch(`${url}/admin/conformance/runs`, { headers: { cookie: consoleCookie } })).text();
    expect(list).toContain('id="conformance"');
    expect(list).toContain(`href="/admin/conformance/runs/${w.aFacts.conformanceRunId}"`);
    expect(list).toContain("有效");
    expect(list).not.toContain("trust-mark/suspend");
    expect(list).not.toContain("gate-waiver");
  });

  it("API: a supplier sees neither its reports' server paths nor the admin who waived its gate; staff see both", async () => {
    const admin = await apiLogin(url, "admin");
    expect((await apiCall(url, admin, "POST", `/suppliers/${w.aFacts.code}/gate-waiver`, { reason: "已与其他卖场对接" })).status).toBe(200);
    const staffRuns = (await (await apiCall(url, admin, "GET", `/conformance/runs?supplier=${w.aFacts.code}`)).json()) as {
      runs: Array<Record<string, unknown>>;
    };
    expect(staffRuns.runs[0]).toHaveProperty("reportJson");
    expect(staffRuns.runs[0]).toHaveProperty("reportHtml");
    const staffStanding = (await (await apiCall(url, admin, "GET", `/suppliers/${w.aFacts.code}/trust-mark`)).json()) as {
      waiver: Record<string, unknown> | null;
    };
    expect(staffStanding.waiver).toMatchObject({ actor: "admin", reason: "已与其他卖场对接" });

    const runs = (await (await apiCall(url, supa, "GET", "/conformance/runs")).json()) as { runs: Array<Record<string, unknown>> };
    expect(runs.runs).toHaveLength(1);
    for (const key of ["reportJson", "reportHtml"]) expect(runs.runs[0], key).not.toHaveProperty(key);
    const one = (await (await apiCall(url, supa, "GET", `/conformance/runs/${w.aFacts.conformanceRunId}`)).json()) as { run: Record<string, unknown> };
    expect(one.run.id).toBe(w.aFacts.conformanceRunId);
    for (const key of ["reportJson", "reportHtml"]) expect(one.run, key).not.toHaveProperty(key);
    const standing = (await (await apiCall(url, supa, "GET", `/suppliers/${w.aFacts.code}/trust-mark`)).json()) as { waiver: Record<string, unknown> | null };
    expect(standing.waiver).toMatchObject({ reason: "已与其他卖场对接" });
    expect(standing.waiver).not.toHaveProperty("actor");
    const page = await (await fetch(`${url}/admin/conformance/runs`, { headers: { cookie: consoleCookie } })).text();
    expect(page).toContain("已豁免：已与其他卖场对接");
    expect(page).not.toContain("undefined");
  });

  it("API: a supplier's order view carries only S-11 fields (no timeline, no actor, no personal data)", async () => {
    const { order } = (await (await apiCall(url, supa, "GET", `/orders/${w.aFacts.yggcOrder}`)).json()) as { order: Record<string, unknown> };
    expect(order.yggc_order).toBe(w.aFacts.yggcOrder);
    for (const key of ["timeline", "createdBy", "failure", "priceCheck", "pushAttempts", "consignee", "state"]) expect(order, key).not.toHaveProperty(key);
  });

  it("console: every page, with B's ids and filters, shows nothing of B", async () => {
    for (const page of consolePages) {
      for (const qs of bQueries()) {
        const path = `/admin${fill(page.path, bParams())}${qs ? `?${qs}` : ""}`;
        const res = await fetch(`${url}${path}`, { headers: { cookie: consoleCookie }, redirect: "manual" });
        expect([200, 400, 403, 404], `${path} → ${res.status}`).toContain(res.status);
        const text = await res.text();
        expect(leaks(text, path), path).toEqual([]);
        const nothing = await fetch(`${url}${twin(path)}`, { headers: { cookie: consoleCookie }, redirect: "manual" });
        expect(res.status, `${path} vs ${twin(path)}`).toBe(nothing.status);
        expect(normalize(text), `${path} reads like ${twin(path)}`).toBe(normalize(await nothing.text()));
      }
    }
    const csrf = /name="_csrf" value="([^"]+)"/.exec(await (await fetch(`${url}/admin/`, { headers: { cookie: consoleCookie } })).text())?.[1] ?? "";
    const apply = await fetch(`${url}/admin/products/${w.bFacts.code}/${w.bFacts.sku}/listing/apply`, {
      method: "POST",
      headers: { cookie: consoleCookie },
      body: new URLSearchParams({ _csrf: csrf }),
      redirect: "manual",
    });
    expect(apply.status).toBe(404);
  });
});
