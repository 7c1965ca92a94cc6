import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { consoleActions } from "../../src/admin/console/console-actions.js";
import { consolePages } from "../../src/admin/console/console-pages.js";
import { FLASH } from "../../src/admin/console/console-kit.js";
import { type ConsoleSession, consoleLogin, getPage, postForm } from "../helpers/console-session.js";
import { PASSWORD, type TwoSupplierWorld, startTwoSupplierWorld } from "../helpers/two-supplier-world.js";
import { englishWords, productText } from "../helpers/visible-text.js";
import { rawSql } from "../helpers/raw-sql.js";

type Who = "admin" | "procurement" | "auditor" | "supa";
const WHO: readonly Who[] = ["admin", "procurement", "auditor", "supa"];

/**
 * Every console page and every console form, as each role, read the way a person reads it: no
 * English sentence or label from the product anywhere (values from the data, codes, URLs and
 * units aside), on pages that work and on pages that refuse.
 */
describe("console speaks zh-CN on every page and every refused form", () => {
  let w: TwoSupplierWorld;
  let url: string;
  const s = {} as Record<Who, ConsoleSession>;
  const data = new Set<string>();
  let rejectedSku = "";
  let failedRun = "";

  beforeAll(async () => {
    w = await startTwoSupplierWorld(30);
    url = w.a.gw.url;
    const c = w.a.gw.container;
    const code = w.aFacts.code;
    // A listing applied for and refused, an order pushed, a quarantined message: every state a page shows.
    const active = (await c.repos.products.list(w.a.supplierId)).filter((p) => p.status === "active" && p.sku !== w.aFacts.sku);
    const rejected = (await c.repos.products.list(w.a.supplierId)).find((p) => p.status === "rejected");
    rejectedSku = rejected?.sku ?? "";
    const [refused, applied] = active;
    if (!refused || !applied || !rejected) throw new Error("the world has too few products");
    for (const p of [refused, applied]) await c.repos.products.setListingState(c.store.sql, w.a.supplierId, p.sku, "none", "applied", null, Date.now());
    await c.repos.products.setListingState(c.store.sql, w.a.supplierId, refused.sku, "applied", "refused", "请补充 3C 认证证书", Date.now());
    await c.orders.service.push(w.aFacts.yggcOrder, "test");
    // A message that breaks the contract is quarantined at once, with the reason the puller wrote.
    w.a.sim.sim.pool.publishMalformed(6, { skuId: 12345, state: "up" });
    await c.sync.pull(code, "manual");
    expect(await rawSql(c.store).value("SELECT count(*) FROM message_inbox WHERE status = 'quarantined'")).toBe(1);
    // A supplier whose every call fails: a failed run with its errors to read.
    w.bSim.sim.knobs.apply({ endpoints: { "*": { faults: { "http-5xx": 1 } } } });
    w.bSim.sim.changes.publishPool();
    await c.sync.pull(w.bFacts.code, "manual");
    failedRun = (await c.sync.runs({ supplier: w.bFacts.code, limit: 1 }))[0]?.id ?? "";
    w.bSim.sim.knobs.apply({ endpoints: { "*": { faults: {} } } });
    // Values the data brings (names, brands, people's reasons): shown as sent, in whatever script.
    const q = async (sql: string) => (await rawSql(c.store).all(sql)).map((r) => Object.values(r)[0] as string | null);
    for (const v of [
      ...(await q("SELECT name FROM products")),
      ...(await q("SELECT brand_name FROM products")),
      ...(await q("SELECT model FROM products")),
      ...(await q("SELECT brand_name FROM brands")),
      ...(await q("SELECT name FROM suppliers")),
      ...(await q("SELECT code FROM suppliers")),
      ...(await q("SELECT username FROM admin_users")),
      ...(await q("SELECT reason FROM gate_waivers")),
      ...(await q("SELECT actor FROM gate_waivers")),
      ...(await q("SELECT description FROM product_stock")),
      ...(await q("SELECT name FROM areas")),
      ...(await q("SELECT actor FROM audit_log")),
      ...(await q("SELECT actor FROM order_events")),
      ...(await q("SELECT created_by FROM orders")),
      ...(await q("SELECT attribute_name FROM catalog_params")),
      ...(await q("SELECT unit FROM catalog_params")),
    ]) {
      if (v) data.add(v);
    }
    // The standard catalogs' parameter values (the centre's reference data): 接口 HDMI, 光源 LED.
    for (const json of await q("SELECT values_json FROM catalog_params")) {
      for (const v of (JSON.parse(json ?? "[]") as Array<{ value?: string }>).map((x) => x.value))
        if (v) for (const word of v.split(/[^A-Za-z]+/)) if (word) data.add(word);
    }
    // What the walker itself types: echoed back in the form, and named in "not found" answers.
    for (const v of ["NOSUCH", "no-such-sku", "NOPE", "KITWRONGPLATFORM", "zzz", ...(BAD.items ?? "").split(/[^A-Za-z]+/)]) if (v) data.add(v);
    for (const who of WHO) s[who] = await consoleLogin(url, who, PASSWORD);
  }, 240_000);
  afterAll(async () => w?.close());

  const paramsFor = (path: string): Record<string, string> => ({
    code: w.aFacts.code,
    supplier: w.aFacts.code,
    sku: w.aFacts.sku,
    runId: w.aFacts.runId,
    yggcOrder: w.aFacts.yggcOrder,
    id: path.startsWith("/conformance") ? w.aFacts.conformanceRunId : String(w.aFacts.messageLogId),
  });
  const fill = (path: string, params = paramsFor(path)) => `/admin${path.replace(/:(\w+)/g, (_m, n: string) => encodeURIComponent(params[n] ?? "x"))}`;

  /** Every English word found, with the page, the role and the text it stood in; asserted empty at the end of each test. */
  let problems: string[] = [];
  function expectZh(html: string, where: string) {
    expect(productText(html).length, `${where}: a page with text`).toBeGreaterThan(0);
    for (const word of englishWords(html, data)) problems.push(`${where}: ${word}`);
  }
  const noProblems = () => {
    const found = [...new Set(problems)];
    problems = [];
    expect(found).toEqual([]);
  };

  it("the walker itself finds English: a page with an English label fails it", () => {
    expect(englishWords('<td><span class="badge ok">succeeded</span></td>', data)).toHaveLength(1);
    expect(englishWords("<p>password must be at least 12 characters</p>", data).length).toBeGreaterThan(3);
    expect(englishWords('<td class="mono">run_abc</td><code>5012</code><a href="/x">https://item.jd.com/1.html</a>', data)).toEqual([]);
  });

  /** GETs every page (and the extra paths) as every role and reads each. */
  async function walkPages() {
    const extra = [
      `/admin/products/${w.aFacts.code}/${encodeURIComponent(rejectedSku)}`,
      `/admin/sync/runs/${failedRun}`,
      `/admin/sync/runs?supplier=${w.bFacts.code}`,
      `/admin/suppliers/${w.aFacts.code}?reveal=true`,
      "/admin/products?status=rejected",
      "/admin/products?status=active&listingState=none",
      "/admin/products?listingState=refused",
      "/admin/products?name=%E4%B8%8D%E5%AD%98%E5%9C%A8%E7%9A%84",
      "/admin/sync/messages?outcome=rejected",
      "/admin/sync/messages?type=99&from=yesterday",
      "/admin/sync/runs?supplier=NOSUCH",
      "/admin/orders?state=confirmed",
      "/admin/orders?state=bogus",
      "/admin/audit?action=user.",
      "/admin/audit?before=abc",
      "/admin/suppliers/NOSUCH",
      "/admin/products/SIM/no-such-sku",
      "/admin/orders/TJ000000000",
      "/admin/sync/runs/run_nowhere",
      "/admin/sync/messages/999999",
      "/admin/conformance/runs/crun_nowhere",
      "/admin/no-such-page",
      ...Object.keys(FLASH).map((k) => `/admin/?msg=${k}`),
    ];
    const paths = [...consolePages.map((p) => fill(p.path)), ...extra];
    for (const who of WHO) {
      for (const path of paths) {
        const res = await getPage(url, s[who], path);
        if (res.status === 303) continue;
        expect(res.headers.get("content-type") ?? "", `${who} ${path}`).toContain("text/html");
        expectZh(await res.text(), `${who} GET ${path} (${res.status})`);
      }
    }
    noProblems();
  }

  it("every page, as every role, reads in zh-CN (allowed or refused, found or not)", walkPages, 240_000);

  it("the login page and its refusals read in zh-CN", async () => {
    const login = (form: Record<string, string>) => fetch(`${url}/admin/login`, { method: "POST", body: new URLSearchParams(form), redirect: "manual" });
    expectZh(await (await fetch(`${url}/admin/login`)).text(), "login");
    expectZh(await (await login({ username: "admin", password: "wrong" })).text(), "login wrong password");
    expectZh(await (await login({})).text(), "login empty");
    let last = "";
    for (let i = 0; i < 7; i++) last = await (await login({ username: "nobody-here", password: "wrong" })).text();
    expect(last).toContain("15 分钟");
    expectZh(last, "login locked");
    noProblems();
  });

  /** Bad values for every field any console form has. */
  const BAD: Record<string, string> = {
    reason: "",
    code: "!",
    name: "",
    creditCode: "123",
    domains: "not a domain",
    contactPhone: "abc",
    signMode: "rot13",
    bodyFormat: "xml",
    pullSchedule: "every minute",
    stockSchedule: "never",
    maxConcurrent: "-1",
    qps: "lots",
    timeoutMs: "soon",
    stockAreas: "nowhere",
    password: "short",
    appSecret: "maybe",
    enabled: "perhaps",
    messageId: "nope",
    all: "maybe",
    note: "",
    items: "x y z\nSKU-1 -3\nSKU-1 2",
    mobile: "123",
    phone: "",
    province: "999999",
    city: "1",
    county: "2",
    address: "",
    zip: "abc",
    email: "not-an-email",
    invoice_title: "",
    invoice_type: "9",
    invoice_org_code: "",
    payment: "0",
    username: "x",
    role: "root",
    supplier: "NOSUCH",
    currentPassword: "wrong",
    newPassword: "short",
  };

  it("every console form, posted with bad input by every role, answers in zh-CN (errors beside fields included)", async () => {
    for (const who of WHO) {
      for (const action of consoleActions) {
        const params = { ...paramsFor(action.path), sku: rejectedSku, username: "procurement" };
        const path = fill(action.path, params);
        for (const form of [{}, BAD]) {
          const res = await postForm(url, s[who], path, form);
          const where = `${who} POST ${path} ${Object.keys(form).length === 0 ? "empty" : "bad"} (${res.status})`;
          expect(res.status, where).not.toBe(500);
          if (res.status === 303) {
            const next = res.headers.get("location") ?? "";
            if (next.startsWith("/admin/login")) continue;
            const page = await getPage(url, s[who], next);
            expectZh(await page.text(), `${where} → ${next}`);
          } else {
            expectZh(await res.text(), where);
          }
        }
      }
      // The order form's own round trip with nonsense in it.
      const round = await postForm(url, s[who], "/admin/orders/new", { ...BAD, supplier: w.aFacts.code, q: "zzz", add: "NOPE" });
      expect(round.status).not.toBe(500);
      expectZh(await round.text(), `${who} POST /admin/orders/new (${round.status})`);
    }
    noProblems();
  }, 240_000);

  it("after every form was tried, every page (the audit log's refusals included) still reads in zh-CN", walkPages, 240_000);

  it("a refused order shows each error beside its field in zh-CN; a wrong password change and a listing conflict too", async () => {
    const res = await postForm(url, s.procurement, "/admin/orders", { ...BAD, supplier: w.aFacts.code, items: `${w.aFacts.sku} 0` });
    expect(res.status).toBe(400);
    const page = await res.text();
    const notes = [...page.matchAll(/<span class="field-error" id="err-(\w+)">([^<]*)<\/span>/g)].map((m) => [m[1], m[2]]);
    expect(notes.length).toBeGreaterThan(4);
    for (const [field, note] of notes) expect(note, field).toMatch(/[\u4e00-\u9fff]/);
    expectZh(page, "order refused");
    const conflict = await postForm(url, s.admin, fill("/products/:supplier/:sku/listing/approve", { supplier: w.aFacts.code, sku: w.aFacts.sku }), {});
    expect(conflict.status).toBe(409);
    expectZh(await conflict.text(), "listing conflict");
    const weak = await postForm(url, s.admin, "/admin/users", { username: "newbie", role: "auditor", password: "short" });
    expect(weak.status).toBe(400);
    const weakPage = await weak.text();
    expect(weakPage).toContain("12");
    expectZh(weakPage, "weak password");
    // The failed run's errors are there to read, each with its kind in words.
    const failed = await (await getPage(url, s.admin, `/admin/sync/runs/${failedRun}`)).text();
    expect(failed).toMatch(/<dt>错误<\/dt><dd><ul class="reasons"><li>/);
    expect(failed).toContain("HTTP 错误");
    noProblems();
  });

  it("the audit log shows recorded states, roles and times in zh-CN and Beijing time, not their stored codes", async () => {
    const at = Date.UTC(2026, 10, 27, 2, 3, 4);
    await w.a.gw.container.admin.audit.record({
      actor: "cli:ops",
      action: "user.create",
      target: "zh_probe",
      summary: { after: { username: "zh_probe", role: "supplier", status: "succeeded", listingState: "applied", signMode: "yggc-md5", createdAt: at } },
    });
    const page = await (await getPage(url, s.admin, "/admin/audit?target=zh_probe")).text();
    const row = /<tr><td class="num">[\s\S]*?zh_probe[\s\S]*?<\/tr>/.exec(page)?.[0] ?? "";
    for (const shown of ["电商用户", "成功", "待审核", "yggc-md5（旧式）", "2026-11-27 10:03:04 北京时间"]) expect(row).toContain(shown);
    for (const raw of [">supplier<", ">succeeded<", ">applied<", String(at)]) expect(row).not.toContain(raw);
  });

  it("a message's supplier calls are named as the contract names them, with the code beside", async () => {
    const page = await (await getPage(url, s.admin, `/admin/sync/messages/${w.aFacts.messageLogId}`)).text();
    const cells = [...page.matchAll(/<td>(S-\d+ [^<]+)<span class="mono muted">(\w+)<\/span><\/td>/g)].map((m) => `${m[1]?.trim()} ${m[2]}`);
    expect(cells.length).toBeGreaterThan(0);
    for (const cell of cells) expect(cell).toMatch(/^S-\d+ [\u4e00-\u9fff]/);
  });

  it("an order's timeline gives the supplier's S-11 answer in words, not as its stored fields", async () => {
    const page = await (await getPage(url, s.admin, `/admin/orders/${w.aFacts.yggcOrder}`)).text();
    const timeline = /<table class="timeline">[\s\S]*?<\/table>/.exec(page)?.[0] ?? "";
    expect(timeline).toMatch(/成功<\/span> 订单金额 [\d.]+ 元，运费 [\d.]+ 元/);
    expect(timeline).not.toContain("orderPrice");
  });
});
