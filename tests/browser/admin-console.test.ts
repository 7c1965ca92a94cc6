import { existsSync, mkdirSync } from "node:fs";
import { type Browser, type Page, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AdminRole } from "../../src/store/repos/admin-repo.js";
import { orderableSkus } from "../helpers/order-products.js";
import { type PullerWorld, startPullerWorld } from "../helpers/puller-harness.js";

/** Debian's chromium (apt-get install chromium), driven by playwright-core: nothing downloaded at test time. */
const CHROMIUM = "/usr/bin/chromium";
const HAS_CHROMIUM = existsSync(CHROMIUM);
const SHOTS = "test-output/screenshots";
const PASSWORD = "correct horse battery staple";

describe.skipIf(!HAS_CHROMIUM)(HAS_CHROMIUM ? "admin console in chromium" : `admin console in chromium — SKIPPED: ${CHROMIUM} is missing (apt-get install -y chromium)`, () => {
  let world: PullerWorld;
  let browser: Browser;
  let url: string;

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    world = await startPullerWorld({ products: 40 });
    url = world.gw.url;
    for (const role of ["admin", "procurement", "auditor"] as const) await world.gw.container.admin.users.create({ username: role, role, password: PASSWORD });
    const run = await world.gw.container.sync.pull(world.code);
    expect(run.ran).toBe(true);
    // launch() gives every browser a fresh temporary --user-data-dir of its own.
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await world?.close();
  });

  /** A fresh context (own cookie jar) logged in through the console's form. */
  async function loginAs(role: AdminRole): Promise<Page> {
    const context = await browser.newContext({ locale: "zh-CN", viewport: { width: 1360, height: 900 } });
    const page = await context.newPage();
    await page.goto(`${url}/admin/`);
    expect(page.url()).toContain("/admin/login");
    await page.fill('input[name="username"]', role);
    await page.fill('input[name="password"]', PASSWORD);
    await Promise.all([page.waitForURL(`${url}/admin/`), page.click('button:has-text("登录")')]);
    return page;
  }

  const shot = (page: Page, name: string) => page.screenshot({ path: `${SHOTS}/${name}.png`, fullPage: true });
  const csrfOf = (page: Page) => page.inputValue('form[action="/admin/logout"] input[name="_csrf"]');

  it("refuses a wrong password on the login page", async () => {
    const page = await browser.newPage();
    await page.goto(`${url}/admin/login`);
    await page.fill('input[name="username"]', "admin");
    await page.fill('input[name="password"]', "not the password");
    await page.click('button:has-text("登录")');
    await expect(page.locator(".flash.error").textContent()).resolves.toContain("用户名或密码错误");
    await shot(page, "01-login-refused");
    await page.close();
  });

  it("admin: dashboard, a sync run, a message's calls, a listing approved, the audit chain intact", async () => {
    const page = await loginAs("admin");
    await expect(page.locator("h1").textContent()).resolves.toBe("仪表盘");
    await expect(page.locator("table").first().textContent()).resolves.toContain(world.code);
    await shot(page, "02-dashboard-admin");

    await page.click('nav a:has-text("同步批次")');
    await Promise.all([page.waitForURL(/\/admin\/sync\/runs\/run_/), page.locator('a[href^="/admin/sync/runs/run_"]').first().click()]);
    await expect(page.locator("h2").filter({ hasText: "本批次消息" }).count()).resolves.toBe(1);
    await shot(page, "03-sync-run");

    const withCalls = page.locator('a[href^="/admin/sync/messages/"]').filter({ hasNotText: /^0 次调用$/ }).first();
    await Promise.all([page.waitForURL(/\/admin\/sync\/messages\/\d+$/), withCalls.click()]);
    await expect(page.locator("h2").filter({ hasText: "调用明细" }).count()).resolves.toBe(1);
    expect(await page.locator("table").nth(1).locator("tbody tr").count()).toBeGreaterThan(0);
    await shot(page, "04-message-calls");

    await page.goto(`${url}/admin/products?status=active`);
    const row = page.locator("tbody tr").filter({ has: page.locator('button:has-text("申请上架")') }).first();
    const sku = (await row.locator("td").nth(1).textContent())?.trim() ?? "";
    await Promise.all([page.waitForURL(/\/admin\/products\/SIM\//), row.locator('button:has-text("申请上架")').click()]);
    await expect(page.locator(".flash").textContent()).resolves.toContain("已申请上架");
    await page.click('button:has-text("批准上架")');
    await expect(page.locator(".flash").textContent()).resolves.toContain("已批准上架");
    await expect(page.locator("dl.kv").textContent()).resolves.toContain("已批准上架");
    await shot(page, "05-product-approved");
    expect(world.gw.container.repos.products.bySku(world.supplierId, sku)?.listingState).toBe("approved");

    await page.goto(`${url}/admin/products?status=rejected`);
    await shot(page, "06-products-rejected-reasons");

    await page.click('nav a:has-text("审计日志")');
    await expect(page.locator(".card").first().textContent()).resolves.toContain("完整");
    await expect(page.locator("table").textContent()).resolves.toContain("product.listing_approve");
    await shot(page, "07-audit-log");
    await page.context().close();
  });

  it("procurement: creates an order in the form, pushes it and sees the timeline; sync pages are refused", async () => {
    const page = await loginAs("procurement");
    const nav = await page.locator("header nav").textContent();
    expect(nav).toContain("订单");
    expect(nav).not.toContain("同步批次");
    expect(nav).not.toContain("审计日志");

    const stored = new Set(world.gw.container.repos.products.onShelfSkus(world.supplierId));
    const sku = orderableSkus(world.sim.sim.exportTruth().products, "120000", 2).find((t) => stored.has(t.sku))?.sku ?? "";
    await page.goto(`${url}/admin/orders/new`);
    const fields: Record<string, string> = {
      supplier: world.code, name: "张三丰", mobile: "13812345678", province: "120000", city: "120100", county: "120101",
      address: "南京路118号天津市政府采购中心3楼", invoice_title: "天津市和平区教育局", invoice_org_code: "11120101MB1234567X",
    };
    for (const [name, value] of Object.entries(fields)) await page.fill(`input[name="${name}"]`, value);
    await page.fill('textarea[name="items"]', `${sku} 1`);
    await shot(page, "08-order-new");
    await Promise.all([page.waitForURL(/\/admin\/orders\/TJ\d+/), page.click('button:has-text("创建订单")')]);
    await expect(page.locator("dl.kv").textContent()).resolves.toContain("待推送");

    await page.click('button:has-text("立即推送")');
    await expect(page.locator(".flash").textContent()).resolves.toContain("已推送");
    await expect(page.locator("dl.kv").textContent()).resolves.toContain("已确认");
    const timeline = await page.locator("table.timeline").textContent();
    expect(timeline).toContain("submit");
    expect(timeline).toContain("confirm");
    expect(timeline).toContain("admin:procurement");
    await shot(page, "09-order-timeline");

    const refused = await page.goto(`${url}/admin/sync/runs`);
    expect(refused?.status()).toBe(403);
    await expect(page.locator("h1").textContent()).resolves.toBe("无权访问");
    await shot(page, "10-procurement-refused");
    await page.context().close();
  });

  it("auditor: reads sync logs and the audit log; orders, products and actions are refused", async () => {
    const page = await loginAs("auditor");
    await page.goto(`${url}/admin/sync/messages?outcome=rejected`);
    await expect(page.locator("h1").textContent()).resolves.toBe("消息日志");
    await shot(page, "11-auditor-messages");
    for (const path of ["/admin/orders", "/admin/products", "/admin/suppliers", "/admin/users"]) {
      expect((await page.goto(`${url}${path}`))?.status(), path).toBe(403);
    }
    await page.goto(`${url}/admin/audit`);
    const csrf = await csrfOf(page);
    const action = await page.request.post(`${url}/admin/suppliers/${world.code}/rotate`, { form: { _csrf: csrf, password: "true", appSecret: "true" }, maxRedirects: 0 });
    expect(action.status()).toBe(403);
    const push = await page.request.post(`${url}/admin/orders/TJ0/push`, { form: { _csrf: csrf }, maxRedirects: 0 });
    expect(push.status()).toBe(403);
    const noToken = await page.request.post(`${url}/admin/logout`, { form: {}, maxRedirects: 0 });
    expect(noToken.status()).toBe(403);
    await page.context().close();
  });
});
