import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ConsoleSession, consoleLogin, getPage, postForm } from "../helpers/console-session.js";
import { availableStock } from "../../src/simulator/product-model.js";
import { orderableSkus } from "../helpers/order-products.js";
import { type PullerWorld, SIM_DOMAIN, pullOnce, startPullerWorld } from "../helpers/puller-harness.js";

const PASSWORD = "correct horse battery staple";
/** Raw English values the console must never show as a label. */
const RAW_LABELS =
  /class="badge[^"]*">\s*(succeeded|partial|running|failed|applied|rejected|quarantined|skipped|active|disabled|delisted|approved|refused|none|ok|created|confirmed|submitting|submitted|confirming|schedule|manual|replay|http|timeout|network|contract)\s*</;

describe("console for daily work", () => {
  let w: PullerWorld;
  let url: string;
  const s = {} as Record<"admin" | "procurement" | "auditor" | "supplier", ConsoleSession>;
  const poison: string[] = [];
  let poisonMessages: string[] = [];
  const goodNames = new Map<string, string>();

  beforeAll(async () => {
    w = await startPullerWorld({ products: 30, invalidShare: 0.2 }, { PULL_MAX_ATTEMPTS: "1" });
    url = w.gw.url;
    const c = w.gw.container;
    for (const role of ["admin", "procurement", "auditor"] as const) await c.admin.users.create({ username: role, role, password: PASSWORD });
    await c.admin.users.create({ username: "sim-ops", role: "supplier", supplier: w.code, password: PASSWORD });
    // Two skus whose S-4 detail breaks the contract (empty name): with one attempt allowed, quarantined at once.
    for (const p of w.sim.sim.products.all().slice(3, 5)) {
      goodNames.set(p.sku, p.detail.name);
      p.detail = { ...p.detail, name: "" };
      poison.push(p.sku);
    }
    poisonMessages = poison.map((sku) => w.sim.sim.pool.all().find((m) => m.type === 6 && m.result.skuId === sku)?.id ?? "");
    await pullOnce(w);
    s.admin = await consoleLogin(url, "admin", PASSWORD);
    s.procurement = await consoleLogin(url, "procurement", PASSWORD);
    s.auditor = await consoleLogin(url, "auditor", PASSWORD);
    s.supplier = await consoleLogin(url, "sim-ops", PASSWORD);
  }, 120_000);
  afterAll(async () => w?.close());

  const fix = (sku: string) => {
    const p = w.sim.sim.products.get(sku);
    if (p) p.detail = { ...p.detail, name: goodNames.get(sku) ?? "x" };
  };

  it("quarantine: lists each message with its reason and raw body, admin only; replays one, then all, each audited", async () => {
    const path = `/admin/suppliers/${w.code}/quarantine`;
    const page = await (await getPage(url, s.admin, path)).text();
    const cell = (id: string) => `<td class="mono">${id}</td><td>6 商品池变更</td>`;
    for (const id of poisonMessages) expect(page).toContain(cell(id));
    expect(page).toContain("contract");
    expect(page).toMatch(/<pre class="raw">[^<]*skuId/);
    expect(page).toContain("全部重放（2 条）");
    for (const role of ["auditor", "supplier", "procurement"] as const) expect((await getPage(url, s[role], path)).status, role).toBe(403);
    expect((await postForm(url, s.auditor, `${path}/replay`, { all: "true" })).status).toBe(403);

    fix(poison[0] ?? "");
    const one = await postForm(url, s.admin, `${path}/replay`, { messageId: poisonMessages[0] ?? "" });
    expect(one.status).toBe(303);
    expect(one.headers.get("location")).toBe(`${path}?msg=replayed`);
    const after = await (await getPage(url, s.admin, path)).text();
    expect(after).not.toContain(cell(poisonMessages[0] ?? ""));
    expect(after).toContain(cell(poisonMessages[1] ?? ""));
    expect((await w.gw.container.repos.products.bySku(w.supplierId, poison[0] ?? ""))?.name).toBe(goodNames.get(poison[0] ?? ""));
    // The same id again, or one never quarantined: nothing to replay, said as such, and no run started.
    const runsBefore = (await w.gw.container.sync.runs({ supplier: w.code, limit: 100 })).length;
    for (const messageId of [poisonMessages[0] ?? "", "no-such-message"]) {
      const none = await postForm(url, s.admin, `${path}/replay`, { messageId });
      expect(none.status, messageId).toBe(404);
      expect(await none.text(), messageId).not.toContain("已重放");
    }
    expect((await w.gw.container.sync.runs({ supplier: w.code, limit: 100 })).length).toBe(runsBefore);

    fix(poison[1] ?? "");
    expect((await postForm(url, s.admin, `${path}/replay`, { all: "true" })).status).toBe(303);
    expect(await (await getPage(url, s.admin, path)).text()).toContain("没有隔离的消息");
    const audit = (await w.gw.container.admin.audit.list({ action: "sync.replay", limit: 10 })).map((r) => `${r.actor} ${r.outcome}`);
    expect(audit).toEqual(["admin ok", "admin refused", "admin refused", "admin ok", "auditor refused"]);
  });

  it("supplier page: sign mode is read and changed there (audited); the conformance standing is shown", async () => {
    const page = `/admin/suppliers/${w.code}`;
    expect(await (await getPage(url, s.admin, page)).text()).toContain("HMAC-SHA256");
    const res = await postForm(url, s.admin, `${page}/sign-mode`, { signMode: "yggc-md5" });
    expect(res.status).toBe(303);
    expect((await w.gw.container.supplierAccounts.show(w.code, false)).signMode).toBe("yggc-md5");
    const html = await (await getPage(url, s.admin, page)).text();
    expect(html).toMatch(/账号签名方式<\/dt><dd>yggc-md5（旧式）/);
    // The rig's supplier has no mark and a waived gate: the card says so, with the waiver's reason.
    expect(html).not.toContain("尚未接入");
    const card = html.slice(html.indexOf('id="conformance"'), html.indexOf("对接电商接口"));
    expect(card).toMatch(/信任标识<\/dt><dd><span class="badge[^"]*">无<\/span>/);
    expect(card).toContain("放行（豁免）");
    expect(card).toContain("已豁免：puller test rig: the reference supplier, certified in the conformance tests（test:puller-rig，");
    expect(card).toContain("北京时间");
    // Waived already: the card offers the withdrawal, not a second waiver; without a mark, nothing to suspend.
    expect(card).not.toContain(`action="${page}/gate-waiver"`);
    expect(card).toContain(`action="${page}/gate-waiver/withdraw"`);
    expect(card).not.toContain("trust-mark/suspend");
    expect((await w.gw.container.admin.audit.list({ action: "supplier.sign_mode", limit: 1 }))[0]?.summaryJson).toContain('"after":{"signMode":"yggc-md5"}');
    const bad = await postForm(url, s.admin, `${page}/sign-mode`, { signMode: "rot13" });
    expect(bad.status).toBe(400);
    expect((await w.gw.container.supplierAccounts.show(w.code, false)).signMode).toBe("yggc-md5");
    expect((await postForm(url, s.admin, `${page}/sign-mode`, { signMode: "hmac-sha256" })).status).toBe(303);
  });

  it("charts are inline SVG with titles and no script; a supplier sees only its own", async () => {
    const res = await getPage(url, s.admin, "/admin/charts");
    const html = await res.text();
    const svgs = html.match(/<svg class="chart"[\s\S]*?<\/svg>/g) ?? [];
    expect(svgs.length).toBeGreaterThanOrEqual(5);
    for (const svg of svgs) {
      expect(svg).not.toMatch(/<script|\son[a-z]+=|href=/i);
      expect(svg).toMatch(/<title>[^<]+<\/title>/);
    }
    expect(html).toContain("已应用");
    expect(html).toContain("调用耗时 p50 / p95");
    expect(html).toContain("调用错误率");
    expect(html).toContain("待处理与隔离消息");
    expect(html).toContain("每天进入各状态的订单数");
    expect(html).toMatch(/<rect [^>]*fill="#1b7f3b"/);
    // Every chart over time names the zone of its axis.
    const timeCharts = html.match(/<figure class="card"><figcaption>[\s\S]*?<\/figcaption><svg class="chart"[\s\S]*?<\/figure>/g) ?? [];
    expect(timeCharts.length).toBeGreaterThanOrEqual(4);
    for (const chart of timeCharts) expect(chart).toContain("北京时间");
    const own = await (await getPage(url, s.supplier, "/admin/charts")).text();
    expect(own).toContain(`${w.code} 调用耗时`);
    expect((await getPage(url, s.procurement, "/admin/charts")).status).toBe(200);
  });

  it("reads in zh-CN: no raw English status label, Beijing time with its zone, a run's counts as a table", async () => {
    const run = (await w.gw.container.sync.runs({ limit: 1 }))[0]?.id ?? "";
    const rejected = (await w.gw.container.repos.products.list(w.supplierId)).find((p) => p.status === "rejected")?.sku ?? "";
    for (const path of [
      "/admin/",
      "/admin/sync/runs",
      `/admin/sync/runs/${run}`,
      "/admin/sync/messages",
      "/admin/products",
      `/admin/products/${w.code}/${rejected}`,
      "/admin/audit",
      "/admin/users",
      "/admin/suppliers",
      `/admin/suppliers/${w.code}`,
    ]) {
      const html = await (await getPage(url, s.admin, path)).text();
      expect(html, path).not.toMatch(RAW_LABELS);
      expect(html, path).not.toContain("未知（");
    }
    // Audit actions are named in zh-CN beside their code.
    expect(await (await getPage(url, s.admin, "/admin/audit")).text()).toMatch(/登录 <span class="mono muted">session\.login<\/span>/);
    const runPage = await (await getPage(url, s.admin, `/admin/sync/runs/${run}`)).text();
    expect(runPage).toContain('<table class="counts">');
    expect(runPage).toContain("类型 6 商品池变更");
    expect(runPage).not.toContain('{"6"');
    expect(runPage).toMatch(/<time datetime="[^"]+Z" class="mono">\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} 北京时间<\/time>/);
  });

  it("product page: images from the supplier's registered domains under the page's CSP, parameters against the standard, stock, price chart", async () => {
    const rejected = (await w.gw.container.repos.products.list(w.supplierId)).find((p) => p.status === "rejected" && p.rejectionJson.includes("attributes."));
    const active = (await w.gw.container.repos.products.list(w.supplierId)).find((p) => p.status === "active");
    expect(rejected && active).toBeTruthy();
    await w.gw.container.repos.products.saveStock([
      { supplierId: w.supplierId, sku: active?.sku ?? "", area: "120000_120100_120101", num: 7, stockStateId: 33, description: "有货", checkedAt: Date.now() },
    ]);
    const res = await getPage(url, s.admin, `/admin/products/${w.code}/${active?.sku}`);
    const csp = res.headers.get("content-security-policy") ?? "";
    expect(csp).toContain(`img-src 'self' data: https://img.${SIM_DOMAIN}`);
    expect(csp).toContain("default-src 'none'");
    const html = await res.text();
    expect(html).toMatch(new RegExp(`<img src="https://img\\.${SIM_DOMAIN.replace(/\./g, "\\.")}/[^"]+" alt="[^"]+"`));
    expect(html).toContain("✓ 符合");
    expect(html).toContain("协议价与商城价（元）");
    // Stock by area names the area (天津市 市辖区 和平区), its codes beside.
    const names: string[] = [];
    for (const code of ["120000", "120100", "120101"]) names.push((await w.gw.container.repos.reference.areaByCode(code))?.name ?? code);
    expect(names.join(" ")).toMatch(/^天津市 \S+ 和平区$/);
    expect(html).toContain(`<td>${names.join(" ")} <span class="mono muted">120000_120100_120101</span></td>`);
    const bad = await (await getPage(url, s.admin, `/admin/products/${w.code}/${rejected?.sku}`)).text();
    const reason = (JSON.parse(rejected?.rejectionJson ?? "[]") as Array<{ field: string; message: string }>).find((r) => r.field.startsWith("attributes."));
    expect(bad).toContain("✗");
    expect(bad).toContain(reason?.message.replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;") ?? "none");
    const dashboardCsp = (await getPage(url, s.admin, "/admin/")).headers.get("content-security-policy") ?? "";
    expect(dashboardCsp).toMatch(/img-src 'self' data:;/);
  });

  it("order form: supplier from a list, product search with price, shelf and county stock, area cascade and round trips without a script, errors beside their fields", async () => {
    const stored = new Set(await w.gw.container.repos.products.onShelfSkus(w.supplierId));
    const sku = orderableSkus(w.sim.sim.exportTruth().products, "120000", 1).find((t) => stored.has(t.sku))?.sku ?? "";
    await w.gw.container.sync.stock(w.code);
    const blank = await (await getPage(url, s.procurement, "/admin/orders/new")).text();
    expect(blank).toMatch(new RegExp(`<option value="${w.code}"[^>]*>${w.code} 参考电商</option>`));
    expect(blank).toContain('<option value="120000"');

    const round = await postForm(url, s.procurement, "/admin/orders/new", {
      supplier: w.code,
      q: sku,
      province: "120000",
      city: "120100",
      county: "120101",
      name: "张三丰",
      search: "1",
    });
    expect(round.status).toBe(200);
    const found = await round.text();
    expect(found).toContain('<option value="120100" selected>');
    expect(found).toContain('<option value="120101" selected>');
    expect(found).toMatch(
      new RegExp(`<td class="mono">${sku}</td>[\\s\\S]*?<td class="num">\\d+\\.\\d{2}</td>[\\s\\S]*?上架[\\s\\S]*?<td>(\\d+（[^）]*）|有货)</td>`),
    );
    expect(found).toContain('value="张三丰"');

    const added = await (
      await postForm(url, s.procurement, "/admin/orders/new", { supplier: w.code, q: sku, province: "120000", city: "120100", county: "120101", add: sku })
    ).text();
    expect(added).toMatch(new RegExp(`<textarea id="f-items" name="items"[^>]*>${sku} 1</textarea>`));

    const refused = await postForm(url, s.procurement, "/admin/orders", {
      supplier: w.code,
      items: `${sku} 1`,
      province: "120000",
      city: "120100",
      county: "120101",
      address: "南京路118号3楼",
      invoice_title: "天津市和平区教育局",
      invoice_type: "1",
      invoice_org_code: "11120101MB1234567X",
      payment: "2",
    });
    expect(refused.status).toBe(400);
    const page = await refused.text();
    expect(page).toMatch(/<input id="f-name" name="name"[^>]*aria-invalid="true" aria-describedby="err-name"><span class="field-error" id="err-name">/);
    expect(page).toContain('value="南京路118号3楼"');

    const created = await postForm(url, s.procurement, "/admin/orders", {
      supplier: w.code,
      items: `${sku} 1`,
      name: "张三丰",
      mobile: "13812345678",
      province: "120000",
      city: "120100",
      county: "120101",
      address: "南京路118号3楼",
      invoice_title: "天津市和平区教育局",
      invoice_type: "1",
      invoice_org_code: "11120101MB1234567X",
      payment: "2",
    });
    expect(created.status).toBe(303);
    expect(created.headers.get("location")).toMatch(/^\/admin\/orders\/TJ\d+\?msg=created$/);
  });

  it("order form: the supplier's stock (S-8) asked live for any chosen county, shelf state apart from validation, no 加入 for what cannot be ordered", async () => {
    const stored = new Set(await w.gw.container.repos.products.onShelfSkus(w.supplierId));
    const sku = orderableSkus(w.sim.sim.exportTruth().products, "120000", 1).find((t) => stored.has(t.sku) && t.stock !== null)?.sku ?? "";
    expect(sku).not.toBe("");
    const supplierNum = (province: string) => {
      const p = w.sim.sim.products.get(sku);
      return p ? availableStock(p, province) : null;
    };
    const lookup = (province: string, city: string, county: string, q = sku) =>
      getPage(url, s.procurement, `/admin/api/order-form?${new URLSearchParams({ supplier: w.code, q, province, city, county })}`);
    // Neither county is a configured stock area (120101 is), so nothing stored could answer for it.
    for (const [province, city, county] of [
      ["120000", "120100", "120102"],
      ["110000", "110100", "110101"],
    ] as const) {
      const res = await lookup(province, city, county);
      expect(res.status, county).toBe(200);
      const body = (await res.json()) as {
        stockArea: string | null;
        stockError: string | null;
        products: Array<{ sku: string; orderable: boolean; stock: { num: number; description: string } | null }>;
      };
      expect(body.stockArea).toBe(`${province}_${city}_${county}`);
      expect(body.stockError).toBeNull();
      const row = body.products.find((p) => p.sku === sku);
      expect(row?.orderable).toBe(true);
      expect(row?.stock, county).toMatchObject({ num: supplierNum(province) });
    }
    const num = supplierNum("120000") ?? -1;
    const form = { supplier: w.code, q: sku, province: "120000", city: "120100", county: "120102", search: "1" };
    const calls = () => w.sim.sim.knobs.admitted.get("stocks") ?? 0;
    const before = calls();
    const page = await (await postForm(url, s.procurement, "/admin/orders/new", form)).text();
    expect(calls() - before).toBe(1);
    expect(page).toMatch(new RegExp(`<td class="mono">${sku}</td>[\\s\\S]*?<td>${num}（${num >= 1 ? "有货" : "无货"}）</td>`));
    expect(page).not.toContain("未查询");

    // A rejected product still has its shelf state (S-7); its validation is a column of its own, and it offers no 加入.
    const rejected = (await w.gw.container.repos.products.list(w.supplierId)).find((p) => p.status === "rejected" && p.shelfState === 1);
    expect(rejected).toBeDefined();
    const rsku = rejected?.sku ?? "";
    const shown = await (await postForm(url, s.procurement, "/admin/orders/new", { ...form, q: rsku })).text();
    expect(shown).toMatch(
      new RegExp(
        `<td class="mono">${rsku}</td><td>[^<]*</td><td class="num">[^<]*</td>\\s*<td><span class="badge ok">上架</span></td>\\s*<td><span class="badge bad">未通过</span></td>`,
      ),
    );
    expect(shown).not.toContain(`data-add-sku="${rsku}"`);
    const offShelf = (await w.gw.container.repos.products.list(w.supplierId)).find((p) => p.status === "active" && p.shelfState === 0)?.sku ?? "";
    expect(offShelf).not.toBe("");
    const offPage = await (await postForm(url, s.procurement, "/admin/orders/new", { ...form, q: offShelf })).text();
    expect(offPage).toMatch(new RegExp(`<td class="mono">${offShelf}</td>[^\\n]*\\n\\s*<td><span class="badge bad">下架</span></td>\\s*<td></td>`));
    expect(offPage).not.toContain(`data-add-sku="${offShelf}"`);

    // A failed S-8 says so, with the supplier's reason, instead of a made-up cell or a 500.
    w.sim.sim.knobs.refuseNext("stocks", { code: 5099, desc: "库存接口维护中" }, 1);
    const failed = await postForm(url, s.procurement, "/admin/orders/new", form);
    expect(failed.status).toBe(200);
    const note = await failed.text();
    expect(note).toMatch(/库存查询失败：<code>[^<]*库存接口维护中<\/code>/);
    expect(note).toContain(`data-add-sku="${sku}"`);
    w.sim.sim.knobs.refuseNext("stocks", { code: 5099, desc: "库存接口维护中" }, 1);
    const api = await lookup("120000", "120100", "120102");
    expect(api.status).toBe(200);
    expect(((await api.json()) as { stockError: string | null }).stockError).toContain("库存接口维护中");
  });

  it("exports CSV with a UTF-8 BOM, streamed as an attachment, for products, rejections, orders and audit", async () => {
    for (const [path, header] of [
      ["products", "电商,SKU,名称"],
      ["rejections", "电商,SKU,名称,品目,错误码"],
      ["orders", "yggc_order,电商,状态"],
      ["audit", "#,时间（北京时间）"],
    ] as const) {
      const res = await getPage(url, s.admin, `/admin/api/exports/${path}`);
      expect(res.status, path).toBe(200);
      expect(res.headers.get("content-type")).toBe("text/csv; charset=utf-8");
      expect(res.headers.get("content-disposition")).toBe(`attachment; filename="${path}.csv"`);
      const bytes = new Uint8Array(await res.arrayBuffer());
      expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
      const text = new TextDecoder().decode(bytes.slice(3));
      expect(text.startsWith(header), path).toBe(true);
      expect(text.split("\r\n").length, path).toBeGreaterThan(2);
    }
    const rejections = await (await getPage(url, s.admin, "/admin/api/exports/rejections")).text();
    const reasons = (await w.gw.container.repos.products.list(w.supplierId))
      .filter((p) => p.status === "rejected")
      .reduce((n, p) => n + (JSON.parse(p.rejectionJson) as unknown[]).length, 0);
    expect(rejections.trim().split("\r\n").length - 1).toBe(reasons);
    expect((await getPage(url, s.auditor, "/admin/api/exports/products")).status).toBe(403);
  });
});
