import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CSRF_HEADER, SESSION_COOKIE } from "../../src/admin/admin-http.js";
import { type TestGateway, startTestGateway } from "../helpers/harness.js";
import { rawRequest } from "../helpers/fuzz-kit.js";

/** Inputs the admin fuzz suite found answered in the mall's docking envelope instead of the API's own error shape. */
describe("admin API: unreadable requests get the API's error shape", () => {
  let gw: TestGateway;
  let headers: Record<string, string>;

  beforeAll(async () => {
    gw = await startTestGateway();
    await gw.container.admin.users.create({ username: "ops1", role: "admin", password: "correct horse battery staple" });
    const s = await gw.container.admin.sessions.login("ops1", "correct horse battery staple", "test");
    headers = { cookie: `${SESSION_COOKIE}=${encodeURIComponent(s.sessionId)}`, [CSRF_HEADER]: s.csrfToken };
  });
  afterAll(() => gw.close());

  const errorOf = (text: string) => (JSON.parse(text) as { error?: { code?: string; requestId?: string } }).error;

  it("a path parameter that is not valid percent-encoding is 400 invalid_input", async () => {
    for (const path of ["/admin/api/orders/%E4%B8", "/admin/api/suppliers/%C3%28", "/admin/api/products/a/%FF"]) {
      const reply = await rawRequest(gw.url, { method: "GET", path, headers });
      expect(reply.status, reply.text).toBe(400);
      expect(errorOf(reply.text)).toMatchObject({ code: "invalid_input", requestId: expect.any(String) });
    }
  });

  it("a content encoding the API does not take is 415 unsupported_media_type, a broken gzip body 400", async () => {
    const body = JSON.stringify({ username: "x", role: "auditor", password: "correct horse battery staple" });
    const unknown = await rawRequest(gw.url, {
      path: "/admin/api/users",
      headers: { ...headers, "content-type": "application/json", "content-encoding": "x-unknown" },
      body,
    });
    expect(unknown.status, unknown.text).toBe(415);
    expect(errorOf(unknown.text)?.code).toBe("unsupported_media_type");
    const gzip = await rawRequest(gw.url, {
      path: "/admin/api/users",
      headers: { ...headers, "content-type": "application/json", "content-encoding": "gzip" },
      body,
    });
    expect(gzip.status, gzip.text).toBe(400);
    expect(errorOf(gzip.text)?.code).toBe("invalid_input");
    const latin1 = await rawRequest(gw.url, { path: "/admin/api/users", headers: { ...headers, "content-type": "application/json; charset=latin1" }, body });
    expect(latin1.status, latin1.text).toBe(415);
  });

  it("a NUL character anywhere in the input is 400 invalid_input naming the field, and the refusal's audit row keeps it as U+FFFD", async () => {
    const status = await rawRequest(gw.url, {
      path: "/admin/api/suppliers/A%00B/status",
      headers: { ...headers, "content-type": "application/json" },
      body: JSON.stringify({ enabled: false }),
    });
    expect(status.status, status.text).toBe(400);
    expect(errorOf(status.text)?.code).toBe("invalid_input");
    expect(status.text).toContain("params.code");
    expect((await gw.container.admin.audit.list({ target: "A\uFFFDB", limit: 5 })).map((r) => `${r.action} ${r.outcome}`)).toEqual(["supplier.status refused"]);
    const login = await rawRequest(gw.url, {
      path: "/admin/api/login",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "ops\u0000", password: "x" }),
    });
    expect(login.status, login.text).toBe(400);
    expect(login.text).toContain("body.username");
    const search = await rawRequest(gw.url, { method: "GET", path: "/admin/api/products?name=a%00b", headers });
    expect(search.status, search.text).toBe(400);
    expect(search.text).toContain("query.name");
  });

  it("a session cookie that is not valid percent-encoding reads as no session: the API answers 401, the console sends to its login page", async () => {
    const none = {
      api: await rawRequest(gw.url, { method: "GET", path: "/admin/api/session" }),
      page: await rawRequest(gw.url, { method: "GET", path: "/admin/orders" }),
    };
    expect(none.api.status).toBe(401);
    expect(none.page.status).toBe(303);
    for (const value of ["%E0%A4%A", "%", "%ZZ", "%C3%28"]) {
      const cookie = `${SESSION_COOKIE}=${value}`;
      const api = await rawRequest(gw.url, { method: "GET", path: "/admin/api/session", headers: { cookie } });
      expect(api.status, `${value}: ${api.text}`).toBe(401);
      expect(errorOf(api.text)).toMatchObject({ code: "unauthenticated", requestId: expect.any(String) });
      const page = await rawRequest(gw.url, { method: "GET", path: "/admin/orders", headers: { cookie } });
      expect(page.status, `${value}: ${page.text}`).toBe(none.page.status);
      expect(page.headers.location).toBe(none.page.headers.location);
      // Logging in over the broken cookie works and replaces it.
      const login = await rawRequest(gw.url, {
        path: "/admin/api/login",
        headers: { cookie, "content-type": "application/json" },
        body: JSON.stringify({ username: "ops1", password: "correct horse battery staple" }),
      });
      expect(login.status, login.text).toBe(200);
      expect(String(login.headers["set-cookie"])).toMatch(new RegExp(`^${SESSION_COOKIE}=[^;%]+;`));
    }
  });

  it("an anonymous caller is told to log in before its body is read", async () => {
    const reply = await rawRequest(gw.url, { path: "/admin/api/users", headers: { "content-type": "application/json" }, body: "{not json" });
    expect(reply.status, reply.text).toBe(401);
    expect(errorOf(reply.text)?.code).toBe("unauthenticated");
  });
});
