import { afterEach, describe, expect, it } from "vitest";
import { SESSION_COOKIE } from "../../src/admin/admin-http.js";
import { type TestGateway, startTestGateway } from "../helpers/harness.js";

const PASSWORD = "correct horse battery staple";
/** TEST-NET-3 (RFC 5737): a client address no test machine has. */
const CLIENT = "203.0.113.9";

let gw: TestGateway | undefined;
afterEach(async () => {
  await gw?.close();
  gw = undefined;
});

const metrics = (headers: Record<string, string> = {}) => fetch(`${gw?.url ?? ""}/metrics`, { headers });

/** The session cookie's attributes as the API's login sets it. */
async function loginCookie(headers: Record<string, string>): Promise<string> {
  const res = await fetch(`${gw?.url ?? ""}/admin/api/login`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ username: "ops1", password: PASSWORD }),
  });
  expect(res.status).toBe(200);
  const cookie = res.headers.get("set-cookie") ?? "";
  expect(cookie.startsWith(`${SESSION_COOKIE}=`)).toBe(true);
  return cookie;
}

/** The console's login form, as a browser behind the proxy posts it. */
async function consoleLoginCookie(headers: Record<string, string>): Promise<string> {
  const res = await fetch(`${gw?.url ?? ""}/admin/login`, {
    method: "POST",
    headers,
    body: new URLSearchParams({ username: "ops1", password: PASSWORD, next: "/admin/" }),
    redirect: "manual",
  });
  expect(res.status).toBe(303);
  return res.headers.get("set-cookie") ?? "";
}

const secure = (cookie: string) => cookie.split(";").some((a) => a.trim() === "Secure");

describe("behind a reverse proxy on the same host", () => {
  it("with TRUST_PROXY unset, X-Forwarded-For and X-Forwarded-Proto are ignored: a loopback caller stays loopback, plain HTTP gets no Secure cookie", async () => {
    gw = await startTestGateway();
    expect(gw.config.TRUST_PROXY).toBe(false);
    expect((await metrics({ "X-Forwarded-For": CLIENT })).status).toBe(200);
    await gw.container.admin.users.create({ username: "ops1", role: "admin", password: PASSWORD });
    expect(secure(await loginCookie({ "X-Forwarded-Proto": "https" }))).toBe(false);
  });

  it.each(["loopback", "1", "127.0.0.1/8, ::1"])("with TRUST_PROXY=%s the forwarded client is the caller: /metrics refuses it", async (trust) => {
    gw = await startTestGateway({ TRUST_PROXY: trust });
    const refused = await metrics({ "X-Forwarded-For": CLIENT });
    expect(refused.status).toBe(403);
    expect(await refused.text()).toMatch(/METRICS_TOKEN/);
    // A client further out cannot pass itself off as loopback by adding an address of its own.
    expect((await metrics({ "X-Forwarded-For": `127.0.0.1, ${CLIENT}` })).status).toBe(403);
    // A scrape on the host itself, not through the proxy, still works.
    expect((await metrics()).status).toBe(200);
  });

  it("with TRUST_PROXY set, the session cookie is Secure when the proxy says the browser came over HTTPS, and only then", async () => {
    gw = await startTestGateway({ TRUST_PROXY: "loopback" });
    await gw.container.admin.users.create({ username: "ops1", role: "admin", password: PASSWORD });
    const viaHttps = await loginCookie({ "X-Forwarded-For": CLIENT, "X-Forwarded-Proto": "https" });
    expect(secure(viaHttps)).toBe(true);
    expect(viaHttps).toMatch(/; HttpOnly; SameSite=Strict; Secure; /);
    expect(secure(await consoleLoginCookie({ "X-Forwarded-For": CLIENT, "X-Forwarded-Proto": "https" }))).toBe(true);
    expect(secure(await loginCookie({ "X-Forwarded-For": CLIENT, "X-Forwarded-Proto": "http" }))).toBe(false);
    expect(secure(await loginCookie({ "X-Forwarded-For": CLIENT }))).toBe(false);
  });
});
