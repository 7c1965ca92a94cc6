import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { routeById } from "../../src/admin/api/route-table.js";
import { consolePages } from "../../src/admin/console/console-pages.js";
import type { AdminRole } from "../../src/store/repos/admin-repo.js";
import { type TestGateway, nextCreditCode, startTestGateway } from "../helpers/harness.js";

const PASSWORD = "correct horse battery staple";
const ROLES: readonly AdminRole[] = ["admin", "procurement", "auditor"];

/** The console without a browser: every page for every role, form CSRF, escaping, login redirects. */
describe("admin console (HTML)", () => {
  let gw: TestGateway;
  const cookies = {} as Record<AdminRole, { cookie: string; csrf: string }>;

  beforeAll(async () => {
    gw = await startTestGateway();
    await gw.container.supplierAccounts.create({
      code: "XSS",
      name: "<script>alert(1)</script>电商",
      creditCode: await nextCreditCode(),
      domains: ["item.xss.cn"],
    });
    for (const role of ROLES) {
      await gw.container.admin.users.create({ username: role, role, password: PASSWORD });
      const res = await fetch(`${gw.url}/admin/login`, {
        method: "POST",
        body: new URLSearchParams({ username: role, password: PASSWORD, next: "/admin/" }),
        redirect: "manual",
      });
      expect(res.status).toBe(303);
      expect(res.headers.get("location")).toBe("/admin/");
      const cookie = (res.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
      const page = await (await fetch(`${gw.url}/admin/`, { headers: { cookie } })).text();
      cookies[role] = { cookie, csrf: /name="_csrf" value="([^"]+)"/.exec(page)?.[1] ?? "" };
    }
  });
  afterAll(async () => gw?.close());

  it("sends a visitor without a session to the login page, keeping where they were going", async () => {
    const res = await fetch(`${gw.url}/admin/sync/runs?supplier=X`, { redirect: "manual" });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/admin/login?next=%2Fadmin%2Fsync%2Fruns%3Fsupplier%3DX");
    const login = await fetch(`${gw.url}/admin/login`, {
      method: "POST",
      body: new URLSearchParams({ username: "admin", password: PASSWORD, next: "https://evil.example/" }),
      redirect: "manual",
    });
    expect(login.headers.get("location")).toBe("/admin/");
  });

  it("shows each page only to the roles of its API route (403 otherwise)", async () => {
    const sample: Record<string, string> = { code: "XSS", runId: "run_missing", id: "1", supplier: "XSS", sku: "none", yggcOrder: "TJ0" };
    for (const page of consolePages) {
      const route = routeById(page.primary[0], page.primary[1]);
      const path = `/admin${page.path.replace(/:(\w+)/g, (_m, n: string) => sample[n] ?? "x")}`;
      for (const role of ROLES) {
        const res = await fetch(`${gw.url}${path}`, { headers: { cookie: cookies[role].cookie } });
        const allowed = route.roles !== "public" && route.roles.includes(role);
        if (allowed) expect(res.status, `${role} ${path}`).not.toBe(403);
        else expect(res.status, `${role} ${path}`).toBe(403);
        expect(res.headers.get("content-type")).toContain("text/html");
      }
    }
  });

  it("escapes what suppliers and users typed", async () => {
    const html = await (await fetch(`${gw.url}/admin/suppliers`, { headers: { cookie: cookies.admin.cookie } })).text();
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;电商");
    expect(html).not.toContain("<script>");
  });

  it("refuses a form post without the session's CSRF field, and takes it with one", async () => {
    const post = (form: Record<string, string>) =>
      fetch(`${gw.url}/admin/suppliers/XSS/status`, {
        method: "POST",
        headers: { cookie: cookies.admin.cookie },
        body: new URLSearchParams(form),
        redirect: "manual",
      });
    expect((await post({ enabled: "false" })).status).toBe(403);
    expect((await post({ enabled: "false", _csrf: cookies.procurement.csrf })).status).toBe(403);
    const ok = await post({ enabled: "false", _csrf: cookies.admin.csrf });
    expect(ok.status).toBe(303);
    expect(ok.headers.get("location")).toBe("/admin/suppliers/XSS?msg=saved");
    expect((await gw.container.supplierAccounts.show("XSS", false)).status).toBe("disabled");
    expect((await gw.container.admin.audit.list({ action: "supplier.status", limit: 1 }))[0]?.actor).toBe("admin");
  });

  it("answers form errors as a page naming the fields, with an honest status", async () => {
    const res = await fetch(`${gw.url}/admin/users`, {
      method: "POST",
      headers: { cookie: cookies.admin.cookie },
      body: new URLSearchParams({ _csrf: cookies.admin.csrf, username: "x", role: "root", password: "short" }),
    });
    expect(res.status).toBe(400);
    const html = await res.text();
    for (const field of ["body.username", "body.role", "body.password"]) expect(html).toContain(field);
  });

  it("answers a path that does not decode, and a form over its limits, with a console page and an honest status", async () => {
    const page = async (res: Response) => ({ status: res.status, type: res.headers.get("content-type") ?? "", text: await res.text() });
    for (const path of ["/admin/orders/%ZZ", "/admin/products/%ZZ/1", "/admin/suppliers/%E0%A4%A/quarantine", "/admin/sync/runs/%E0%A4%A"]) {
      const got = await page(await fetch(`${gw.url}${path}`, { headers: { cookie: cookies.admin.cookie } }));
      expect(got.status, path).toBe(400);
      expect(got.type, path).toContain("text/html");
      expect(got.text, path).toContain("输入有误");
    }
    const post = (body: URLSearchParams) =>
      fetch(`${gw.url}/admin/suppliers/XSS/status`, { method: "POST", headers: { cookie: cookies.admin.cookie }, body, redirect: "manual" });
    const large = await page(await post(new URLSearchParams({ _csrf: cookies.admin.csrf, enabled: "true", remark: "x".repeat(70 * 1024) })));
    expect(large.status).toBe(413);
    expect(large.type).toContain("text/html");
    expect(large.text).toContain("提交的内容过大");
    const fields = new URLSearchParams({ _csrf: cookies.admin.csrf });
    for (let i = 0; i < 201; i++) fields.append(`f${i}`, "1");
    const many = await page(await post(fields));
    expect(many.status).toBe(413);
    expect(many.type).toContain("text/html");
    expect(many.text).not.toContain('"code"');
  });

  it("serves its stylesheet from the gateway and loads nothing from outside", async () => {
    const css = await fetch(`${gw.url}/admin/assets/console.css`);
    expect(css.headers.get("content-type")).toContain("text/css");
    const html = await (await fetch(`${gw.url}/admin/`, { headers: { cookie: cookies.admin.cookie } })).text();
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
  });
});
