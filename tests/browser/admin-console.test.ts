import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, type Page, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SignMode } from "../../src/contract/index.js";
import type { RunningSimulator } from "../../src/simulator/simulator-server.js";
import { nextCreditCode } from "../helpers/harness.js";
import { orderableSkus } from "../helpers/order-products.js";
import { type PullerWorld, SIM_DOMAIN, startPullerWorld } from "../helpers/puller-harness.js";
import { TEST_ACCOUNT, launchSimulator } from "../helpers/simulator-harness.js";

/** Debian's chromium (apt-get install chromium), driven by playwright-core: nothing downloaded at test time. */
const CHROMIUM = "/usr/bin/chromium";
const HAS_CHROMIUM = existsSync(CHROMIUM);
const SHOTS = "test-output";
const PASSWORD = "correct horse battery staple";
const WIDE = { width: 1366, height: 768 };
const NARROW = { width: 390, height: 844 };
type Who = "admin" | "procurement" | "auditor" | "sim-ops";

describe.skipIf(!HAS_CHROMIUM)(
  HAS_CHROMIUM ? "console in chromium: every role, every flow" : `console in chromium — SKIPPED: ${CHROMIUM} is missing (apt-get install -y chromium)`,
  () => {
    let world: PullerWorld;
    let url: string;
    let profile: string;
    let browser: BrowserContext;
    let sandbox: RunningSimulator | undefined;
    const shots: string[] = [];
    let poisonMessage = "";
    const poisonName = new Map<string, string>();

    beforeAll(async () => {
      mkdirSync(SHOTS, { recursive: true });
      world = await startPullerWorld({ products: 40 }, { PULL_MAX_ATTEMPTS: "1" });
      url = world.gw.url;
      const c = world.gw.container;
      for (const role of ["admin", "procurement", "auditor"] as const) await c.admin.users.create({ username: role, role, password: PASSWORD });
      await c.admin.users.create({ username: "sim-ops", role: "supplier", supplier: world.code, password: PASSWORD });
      const poison = world.sim.sim.products.all()[5];
      if (poison) {
        poisonName.set(poison.sku, poison.detail.name);
        poison.detail = { ...poison.detail, name: "" };
        poisonMessage = world.sim.sim.pool.all().find((m) => m.type === 6 && m.result.skuId === poison.sku)?.id ?? "";
      }
      const run = await c.sync.pull(world.code);
      expect(run.ran).toBe(true);
      await c.sync.stock(world.code);
      // SIM certifies against a sandbox of its own: its run, report and mark exist to be read and suspended.
      sandbox = await launchSimulator({ domain: SIM_DOMAIN, products: 12 });
      const certified = await c.conformance.run({
        supplier: world.code,
        target: { baseUrl: sandbox.url, ...TEST_ACCOUNT, signMode: SignMode.HmacSha256, bodyFormat: "form" },
        actor: "test:browser",
      });
      expect(certified.run.passed).toBe(true);
      // An empty profile of its own, as a fresh desktop would start.
      profile = mkdtempSync(join(tmpdir(), "emall-chromium-"));
      browser = await chromium.launchPersistentContext(profile, {
        executablePath: CHROMIUM,
        headless: true,
        locale: "zh-CN",
        timezoneId: "Asia/Shanghai",
        viewport: WIDE,
        args: [
          "--headless",
          "--no-sandbox",
          "--disable-gpu",
          "--disable-quic",
          "--no-first-run",
          "--disable-background-networking",
          "--disable-component-update",
          "--disable-sync",
        ],
      });
    }, 180_000);
    afterAll(async () => {
      await browser?.close();
      await world?.close();
      await sandbox?.close();
      if (profile) rmSync(profile, { recursive: true, force: true });
    });

    /** Both widths of the page as it stands, then back to the wide one. */
    async function shoot(page: Page, name: string): Promise<void> {
      await page.setViewportSize(WIDE);
      await page.screenshot({ path: `${SHOTS}/${name}-1366.png`, fullPage: true });
      await page.setViewportSize(NARROW);
      const overflow = await page.evaluate<number>("document.documentElement.scrollWidth - document.documentElement.clientWidth");
      const wide = await page.evaluate<string[]>(`Array.from(document.querySelectorAll("main *"))
        .filter((el) => el.getBoundingClientRect().right > document.documentElement.clientWidth + 1 && !el.closest(".scroll"))
        .slice(0, 3)
        .map((el) => el.outerHTML.slice(0, 120))`);
      expect(overflow, `${name}: the page itself must not scroll sideways at 390 px: ${wide.join(" ; ")}`).toBeLessThanOrEqual(1);
      await page.screenshot({ path: `${SHOTS}/${name}-390.png`, fullPage: true });
      await page.setViewportSize(WIDE);
      shots.push(name);
    }

    /** Every visible form control has a label a screen reader announces. */
    async function expectLabelled(page: Page): Promise<void> {
      // Run in the page (a string, so this file needs no DOM types).
      const unlabelled = await page.evaluate<string[]>(`Array.from(document.querySelectorAll("input, select, textarea"))
        .filter((el) => (el).type !== "hidden" && (el).offsetParent !== null)
        .filter((el) => ((el).labels?.length ?? 0) === 0 && !el.getAttribute("aria-label") && !el.getAttribute("aria-labelledby"))
        .map((el) => el.outerHTML.slice(0, 80))`);
      expect(unlabelled, page.url()).toEqual([]);
    }

    async function visit(page: Page, path: string, name: string, h1?: string): Promise<void> {
      const res = await page.goto(`${url}${path}`);
      expect(res?.status(), path).toBe(200);
      if (h1) await expect(page.locator("h1").textContent()).resolves.toBe(h1);
      await expectLabelled(page);
      await shoot(page, name);
    }

    async function loginAs(who: Who): Promise<Page> {
      await browser.clearCookies();
      const page = await browser.newPage();
      await page.goto(`${url}/admin/`);
      expect(page.url()).toContain("/admin/login");
      await page.fill('input[name="username"]', who);
      await page.fill('input[name="password"]', PASSWORD);
      await Promise.all([page.waitForURL(`${url}/admin/`), page.click('button:has-text("登录")')]);
      return page;
    }

    it("login: refuses a wrong password; keyboard only: skip link, tab order and a visible focus ring", async () => {
      await browser.clearCookies();
      const page = await browser.newPage();
      await page.goto(`${url}/admin/login`);
      await expectLabelled(page);
      await shoot(page, "01-login");
      // The login form by keyboard alone: the username field has the focus on arrival.
      await expect(page.evaluate<string>("document.activeElement.name")).resolves.toBe("username");
      await page.keyboard.type("admin");
      await page.keyboard.press("Tab");
      await expect(page.evaluate<string>("document.activeElement.name")).resolves.toBe("password");
      await page.keyboard.type("not the password");
      await page.keyboard.press("Tab");
      await expect(page.evaluate<string>("document.activeElement.textContent")).resolves.toBe("登录");
      const inputRing = await page.evaluate<string>("getComputedStyle(document.activeElement).outlineStyle");
      expect(inputRing).not.toBe("none");
      await page.keyboard.press("Enter");
      await expect(page.locator(".flash.error").textContent()).resolves.toContain("用户名或密码错误");
      await shoot(page, "02-login-refused");
      await page.close();

      // Inside: the first Tab reaches the skip link, with a visible focus ring; Enter moves to the content.
      const inside = await loginAs("auditor");
      await inside.keyboard.press("Tab");
      await expect(inside.evaluate<string>("document.activeElement.textContent")).resolves.toBe("跳到正文");
      const ring = await inside.evaluate<{ style: string; width: number }>(
        "(() => { const s = getComputedStyle(document.activeElement); return { style: s.outlineStyle, width: parseFloat(s.outlineWidth) }; })()",
      );
      expect(ring.style).not.toBe("none");
      expect(ring.width).toBeGreaterThanOrEqual(2);
      await inside.keyboard.press("Enter");
      await expect(inside.evaluate<string>("document.activeElement.id")).resolves.toBe("main");
      // Tab walks the navigation in order.
      await inside.keyboard.press("Tab");
      const first = await inside.evaluate<string>("document.activeElement.textContent || ''");
      expect(first.length).toBeGreaterThan(0);
      await inside.close();
    }, 120_000);

    it("supplier user: sees only its own, reads every rejection reason, applies for listing (申请上架) and follows the decision", async () => {
      const page = await loginAs("sim-ops");
      const nav = (await page.locator("header nav").textContent()) ?? "";
      expect(nav).toContain("商品");
      expect(nav).not.toContain("审计日志");
      expect(nav).not.toContain("电商");
      await shoot(page, "10-supplier-dashboard");
      await visit(page, "/admin/products?status=rejected", "11-supplier-rejected", "我的商品");
      await expect(page.locator("ul.reasons li").count()).resolves.toBeGreaterThan(0);

      await page.goto(`${url}/admin/products?status=active&listingState=none`);
      const row = page
        .locator("tbody tr")
        .filter({ has: page.locator('button:has-text("申请上架")') })
        .first();
      const sku = ((await row.locator("td").first().textContent()) ?? "").trim();
      await Promise.all([page.waitForURL(/\/admin\/products\/SIM\//), row.locator('button:has-text("申请上架")').click()]);
      await expect(page.locator(".flash").textContent()).resolves.toContain("已申请上架");
      await expect(page.locator("#listing").textContent()).resolves.toContain("待审核");
      await expectLabelled(page);
      await shoot(page, "12-supplier-product-applied");

      // Staff refuse with a reason; the supplier reads it on the same page.
      await world.gw.container.sync.pull(world.code);
      const admin = await browser.newPage();
      await browser.clearCookies();
      await admin.goto(`${url}/admin/login`);
      await admin.fill('input[name="username"]', "admin");
      await admin.fill('input[name="password"]', PASSWORD);
      await Promise.all([admin.waitForURL(`${url}/admin/`), admin.click('button:has-text("登录")')]);
      await admin.goto(`${url}/admin/products/SIM/${sku}`);
      await admin.fill("#listing input[name=note]", "请补充 3C 认证证书");
      await admin.click('#listing button:has-text("拒绝")');
      await expect(admin.locator(".flash").textContent()).resolves.toContain("已拒绝上架");
      await shoot(admin, "13-admin-product-refused");
      await admin.close();

      const again = await loginAs("sim-ops");
      await again.goto(`${url}/admin/products/SIM/${sku}`);
      await expect(again.locator("#listing").textContent()).resolves.toContain("请补充 3C 认证证书");
      await expect(again.locator("#listing").textContent()).resolves.toContain("已拒绝");
      await shoot(again, "14-supplier-sees-refusal");
      // Fixed: the supplier applies again — by keyboard alone, Tab to the button (its focus ring visible), Enter —
      // and this time staff approve.
      let reached = "";
      for (let i = 0; i < 80 && reached !== "申请上架"; i++) {
        await again.keyboard.press("Tab");
        reached = await again.evaluate<string>("(document.activeElement && document.activeElement.textContent || '').trim()");
      }
      expect(reached).toBe("申请上架");
      const buttonRing = await again.evaluate<{ style: string; width: number }>(
        "(() => { const s = getComputedStyle(document.activeElement); return { style: s.outlineStyle, width: parseFloat(s.outlineWidth) }; })()",
      );
      expect(buttonRing.style).not.toBe("none");
      expect(buttonRing.width).toBeGreaterThanOrEqual(2);
      await Promise.all([again.waitForURL(/msg=applied/), again.keyboard.press("Enter")]);
      await expect(again.locator(".flash").textContent()).resolves.toContain("已申请上架");
      await browser.clearCookies();
      const approver = await browser.newPage();
      await approver.goto(`${url}/admin/login`);
      await approver.fill('input[name="username"]', "admin");
      await approver.fill('input[name="password"]', PASSWORD);
      await Promise.all([approver.waitForURL(`${url}/admin/`), approver.click('button:has-text("登录")')]);
      await approver.goto(`${url}/admin/products?listingState=applied`);
      await shoot(approver, "14a-admin-applied-list");
      await approver.goto(`${url}/admin/products/SIM/${sku}`);
      await approver.click('#listing button:has-text("批准上架")');
      await expect(approver.locator(".flash").textContent()).resolves.toContain("已批准上架");
      await approver.close();
      await again.close();
      const approved = await loginAs("sim-ops");
      await approved.goto(`${url}/admin/products/SIM/${sku}`);
      await expect(approved.locator("#listing").textContent()).resolves.toContain("已批准上架");
      await shoot(approved, "14b-supplier-sees-approval");
      await approved.close();
      const again2 = await loginAs("sim-ops");
      await visit(again2, "/admin/sync/messages", "15-supplier-messages", "消息日志");
      await visit(again2, "/admin/charts", "16-supplier-charts", "图表");
      expect((await again2.goto(`${url}/admin/audit`))?.status()).toBe(403);
      await again2.close();
      await page.close();
    }, 180_000);

    it("admin: dashboard, charts, supplier page (sign mode), quarantine replay, a run's counts, a message's calls, listing approved, users, audit", async () => {
      const page = await loginAs("admin");
      await expect(page.locator("h1").textContent()).resolves.toBe("仪表盘");
      await shoot(page, "20-dashboard-admin");
      await visit(page, "/admin/charts", "21-charts", "图表");
      await expect(page.locator("svg.chart").count()).resolves.toBeGreaterThanOrEqual(5);

      await visit(page, "/admin/suppliers", "22-suppliers", "电商");
      await visit(page, "/admin/suppliers/SIM", "23-supplier", "电商 SIM");
      await page.selectOption("#sign-mode", "yggc-md5");
      await page.click('button:has-text("保存签名方式")');
      await expect(page.locator(".flash").textContent()).resolves.toContain("已保存");
      await expect(page.locator("dl.kv").first().textContent()).resolves.toContain("yggc-md5（旧式）");

      await visit(page, "/admin/suppliers/SIM/quarantine", "24-quarantine", "电商 SIM 的隔离消息");
      await expect(page.locator("tbody tr").count()).resolves.toBe(1);
      await page.click("details summary");
      await expect(page.locator("pre.raw").textContent()).resolves.toContain("skuId");
      await shoot(page, "24-quarantine-raw");
      for (const [sku, name] of poisonName) {
        const p = world.sim.sim.products.get(sku);
        if (p) p.detail = { ...p.detail, name };
      }
      await page.click('tbody button:has-text("重放")');
      await expect(page.locator(".flash").textContent()).resolves.toContain("已重放");
      await expect(page.locator("main").textContent()).resolves.toContain("没有隔离的消息");
      expect((await world.gw.container.admin.audit.list({ action: "sync.replay", limit: 1 }))[0]?.target).toBe("SIM");
      expect(poisonMessage).not.toBe("");

      await page.click('nav a:has-text("同步批次")');
      await shoot(page, "25-sync-runs");
      await Promise.all([page.waitForURL(/\/admin\/sync\/runs\/run_/), page.locator('a[href^="/admin/sync/runs/run_"]').first().click()]);
      await expect(page.locator("table.counts").count()).resolves.toBe(1);
      await shoot(page, "26-sync-run");
      const withCalls = page
        .locator('a[href^="/admin/sync/messages/"]')
        .filter({ hasNotText: /^0 次调用$/ })
        .first();
      await Promise.all([page.waitForURL(/\/admin\/sync\/messages\/\d+$/), withCalls.click()]);
      await shoot(page, "27-message-calls");
      await visit(page, "/admin/sync/messages?outcome=rejected", "28-messages-rejected", "消息日志");

      await page.goto(`${url}/admin/products?listingState=approved`);
      const refusedRow = page.locator("tbody tr").first();
      await Promise.all([page.waitForURL(/\/admin\/products\/SIM\//), refusedRow.locator("a").first().click()]);
      await shoot(page, "29-product-review");
      await expect(page.locator("main").textContent()).resolves.toContain("参数与品目标准参数对照");
      // A reviewer's page of a validated product: images as sent, parameters against the standard, stock by area, price chart.
      const active = (await world.gw.container.repos.products.list(world.supplierId)).find((p) => p.status === "active" && p.imagePath);
      await visit(page, `/admin/products/SIM/${active?.sku ?? ""}`, "29b-product-active");
      await expect(page.locator(".gallery figure").count()).resolves.toBeGreaterThan(0);
      await expect(page.locator(".gallery img").first().getAttribute("referrerpolicy")).resolves.toBe("no-referrer");
      await expect(page.locator("main").textContent()).resolves.toContain("✓ 符合");
      await expect(page.locator('h2:has-text("分地区库存") + .scroll tbody tr').count()).resolves.toBeGreaterThan(0);
      await expect(page.locator('svg.chart[aria-label^="协议价与商城价"]').count()).resolves.toBe(1);
      await visit(page, "/admin/products", "30-products", "商品");
      // Ids and skus never wrap (times, below, read in Beijing time with the zone).
      const wrapping = await page.evaluate<string[]>(
        `Array.from(document.querySelectorAll("td.mono, td .mono")).filter((el) => getComputedStyle(el).whiteSpace !== "nowrap").map((el) => el.textContent)`,
      );
      expect(wrapping).toEqual([]);
      for (const [link, file] of [
        ["商品", "products.csv"],
        ["未通过原因", "rejections.csv"],
      ] as const) {
        const [download] = await Promise.all([page.waitForEvent("download"), page.click(`a[download]:text-is("${link}")`)]);
        expect(download.suggestedFilename()).toBe(file);
      }
      await visit(page, "/admin/users", "31-users", "用户");
      await visit(page, "/admin/audit", "32-audit", "审计日志");
      await expect(page.locator("time").first().textContent()).resolves.toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} 北京时间$/);
      await expect(page.locator(".card").first().textContent()).resolves.toContain("校验全部记录");
      await visit(page, "/admin/audit?verify=1", "32-audit-verified", "审计日志");
      await expect(page.locator(".card").first().textContent()).resolves.toContain("完整");
      await visit(page, "/admin/account", "33-account", "修改密码");
      await page.close();
    }, 240_000);

    it("admin: registers a supplier (credentials shown once), waives its gate with a reason, suspends a mark, reads a certification run", async () => {
      const page = await loginAs("admin");
      await page.goto(`${url}/admin/suppliers`);
      const form = page.locator('form[action="/admin/suppliers"]');
      await form.locator('input[name="code"]').fill("NEWSUP");
      await form.locator('input[name="name"]').fill("新登记电商");
      await form.locator('input[name="creditCode"]').fill(await nextCreditCode());
      await form.locator('input[name="domains"]').fill("item.new-shop.cn");
      await Promise.all([page.waitForResponse((r) => r.url() === `${url}/admin/suppliers` && r.request().method() === "POST"), form.locator("button").click()]);
      await page.waitForLoadState("load");
      await expect(page.locator("h1").textContent()).resolves.toBe("已登记电商 NEWSUP");
      await expect(page.locator(".secret").textContent()).resolves.toContain("appSecret");
      await shoot(page, "34-supplier-registered");

      await visit(page, "/admin/suppliers/NEWSUP", "35-new-supplier-gate-closed", "电商 NEWSUP");
      await expect(page.locator("#conformance").textContent()).resolves.toContain("拦截：无信任标识");
      await page.fill('#conformance form[action$="/gate-waiver"] input[name="reason"]', "已在其他卖场正式对接三年");
      await page.click('#conformance button:has-text("豁免准入检查")');
      await expect(page.locator(".flash").textContent()).resolves.toContain("已保存");
      await expect(page.locator("#conformance").textContent()).resolves.toContain("放行（豁免）");
      await shoot(page, "36-new-supplier-waived");

      await visit(page, "/admin/suppliers/SIM", "37-supplier-mark-valid", "电商 SIM");
      await expect(page.locator("#conformance dl").textContent()).resolves.toContain("有效");
      await page.fill('#conformance form[action$="/trust-mark/suspend"] input[name="reason"]', "正式环境接口连续超时");
      await page.click('#conformance button:has-text("暂停标识")');
      await expect(page.locator("#conformance dl").textContent()).resolves.toContain("已暂停");
      await expect(page.locator("#conformance dl").textContent()).resolves.toContain("正式环境接口连续超时");
      await shoot(page, "37a-mark-suspended");
      // The suspension ended the rig's waiver: SIM is held. A waiver granted after it lets SIM through
      // again (procurement orders from it next), the mark staying suspended.
      await expect(page.locator("#conformance").textContent()).resolves.toContain("拦截");
      await page.fill('#conformance form[action$="/gate-waiver"] input[name="reason"]', "暂停期间仍需下单，已与采购中心确认");
      await page.click('#conformance button:has-text("豁免准入检查")');
      await expect(page.locator("#conformance").textContent()).resolves.toContain("放行（豁免）");
      await expect(page.locator("#conformance dl").textContent()).resolves.toContain("已暂停");
      expect((await world.gw.container.admin.audit.list({ action: "conformance.", limit: 5 })).map((r) => r.actor)).toContain("admin");

      await visit(page, "/admin/conformance/runs", "38-conformance-runs", "对接测试");
      await Promise.all([page.waitForURL(/\/admin\/conformance\/runs\/crun_/), page.locator('a[href^="/admin/conformance/runs/crun_"]').first().click()]);
      await expect(page.locator("main table").count()).resolves.toBeGreaterThan(3);
      await expect(page.locator('a[href$="/report.html"]').count()).resolves.toBe(1);
      await shoot(page, "39-conformance-run");
      // An unknown console page says so in words.
      expect((await page.goto(`${url}/admin/no-such-page`))?.status()).toBe(404);
      await expect(page.locator("h1").textContent()).resolves.toBe("未找到");
      await page.close();
    }, 180_000);

    it("procurement: order form with the script (cascade, search, add), errors beside fields, then created and pushed; sync pages refused", async () => {
      const page = await loginAs("procurement");
      const problems: string[] = [];
      page.on("pageerror", (e) => problems.push(e.message));
      page.on("console", (m) => m.type() === "error" && problems.push(m.text()));
      const stored = new Set(await world.gw.container.repos.products.onShelfSkus(world.supplierId));
      const sku = orderableSkus(world.sim.sim.exportTruth().products, "120000", 2).find((t) => stored.has(t.sku))?.sku ?? "";
      await visit(page, "/admin/orders/new", "40-order-new", "新建订单");
      await page.selectOption("#f-supplier", "SIM");
      await page.selectOption("#f-province", "120000");
      await expect.poll(() => page.locator("#f-city option").count(), { timeout: 15_000, message: problems.join("\n") }).toBeGreaterThan(1);
      await page.selectOption("#f-city", "120100");
      await expect.poll(() => page.locator("#f-county option").count()).toBeGreaterThan(1);
      await page.selectOption("#f-county", "120101");
      await page.fill("#f-q", sku);
      await expect.poll(() => page.locator("#order-candidates tbody tr").count()).toBeGreaterThan(0);
      await expect(page.locator("#order-candidates").textContent()).resolves.toMatch(/上架/);
      await page.locator("#order-candidates button").first().click();
      await expect(page.inputValue("#f-items")).resolves.toBe(`${sku} 1`);
      await shoot(page, "41-order-form-filled");

      // Missing consignee name: the form comes back with the error beside the field.
      for (const [id, value] of Object.entries({
        "f-mobile": "13812345678",
        "f-address": "南京路118号天津市政府采购中心3楼",
        "f-invoice_title": "天津市和平区教育局",
        "f-invoice_org_code": "11120101MB1234567X",
      }))
        await page.fill(`#${id}`, value);
      await page.selectOption("#f-invoice_type", "1");
      await page.selectOption("#f-payment", "2");
      await page.click('button:has-text("创建订单")');
      await expect(page.locator("#err-name").textContent()).resolves.not.toBe("");
      await expect(page.getAttribute("#f-name", "aria-invalid")).resolves.toBe("true");
      await shoot(page, "42-order-form-errors");
      await page.fill("#f-name", "张三丰");
      await Promise.all([page.waitForURL(/\/admin\/orders\/TJ\d+/), page.click('button:has-text("创建订单")')]);
      await expect(page.locator("dl.kv").textContent()).resolves.toContain("待推送");
      await page.click('button:has-text("立即推送")');
      await expect(page.locator("dl.kv").textContent()).resolves.toContain("已确认");
      await shoot(page, "43-order-timeline");
      await visit(page, "/admin/orders", "44-orders", "订单");
      const [ordersCsv] = await Promise.all([page.waitForEvent("download"), page.click('a[download]:text-is("订单")')]);
      expect(ordersCsv.suggestedFilename()).toBe("orders.csv");
      expect((await page.goto(`${url}/admin/sync/runs`))?.status()).toBe(403);
      await shoot(page, "45-procurement-refused");

      // The same form without any script: each choice is a round trip to the server.
      const bare = await browser.newPage();
      await bare.route("**/admin/assets/console.js", (r) => r.abort());
      await bare.goto(`${url}/admin/orders/new`);
      await expect(bare.locator('button:has-text("更新地区与库存")').isVisible()).resolves.toBe(true);
      const roundTrip = async (button: string) => {
        await Promise.all([
          bare.waitForResponse((r) => r.url() === `${url}/admin/orders/new` && r.request().method() === "POST"),
          bare.click(`button:has-text("${button}")`),
        ]);
        await bare.waitForLoadState("load");
      };
      await bare.selectOption("#f-supplier", "SIM");
      await bare.selectOption("#f-province", "120000");
      await roundTrip("更新地区与库存");
      await bare.selectOption("#f-city", "120100");
      await roundTrip("更新地区与库存");
      await bare.selectOption("#f-county", "120101");
      await bare.fill("#f-q", sku);
      await roundTrip("查找");
      await expect(bare.locator("#order-candidates tbody tr").count()).resolves.toBeGreaterThan(0);
      await roundTrip("加入");
      await expect(bare.inputValue("#f-items")).resolves.toBe(`${sku} 1`);
      await expectLabelled(bare);
      await shoot(bare, "46-order-form-no-script");
      for (const [id, value] of Object.entries({
        "f-name": "李四",
        "f-mobile": "13812345678",
        "f-address": "南京路118号3楼",
        "f-invoice_title": "天津市和平区教育局",
        "f-invoice_org_code": "11120101MB1234567X",
      }))
        await bare.fill(`#${id}`, value);
      await bare.selectOption("#f-invoice_type", "1");
      await bare.selectOption("#f-payment", "2");
      await Promise.all([bare.waitForURL(/\/admin\/orders\/TJ\d+/), bare.click('button:has-text("创建订单")')]);
      await expect(bare.locator(".flash").textContent()).resolves.toContain("已创建");
      await bare.close();
      await page.close();
    }, 180_000);

    it("supplier user: its orders carry only what S-11 sent it", async () => {
      const page = await loginAs("sim-ops");
      await visit(page, "/admin/orders", "50-supplier-orders", "订单");
      await Promise.all([page.waitForURL(/\/admin\/orders\/TJ\d+/), page.locator('a[href^="/admin/orders/TJ"]').first().click()]);
      const text = (await page.locator("main").textContent()) ?? "";
      // The order itself, as S-11 sent it: its items and amount.
      expect(text).toContain("商品");
      expect(text).toContain("合计");
      await expect(page.locator("main table tbody tr").count()).resolves.toBeGreaterThan(0);
      expect(text).not.toContain("时间线");
      expect(text).not.toContain("admin:procurement");
      await shoot(page, "51-supplier-order");
      // Its own conformance standing, runs and report; another supplier's data answers as if it did not exist.
      await visit(page, "/admin/conformance/runs", "52-supplier-conformance", "对接测试");
      await expect(page.locator("#conformance dl").textContent()).resolves.toContain("已暂停");
      await expect(page.locator("#conformance form").count()).resolves.toBe(0);
      await Promise.all([page.waitForURL(/\/admin\/conformance\/runs\/crun_/), page.locator('a[href^="/admin/conformance/runs/crun_"]').first().click()]);
      await shoot(page, "53-supplier-conformance-run");
      expect((await page.goto(`${url}/admin/products/NEWSUP/100001`))?.status()).toBe(404);
      expect((await page.goto(`${url}/admin/products?supplier=NEWSUP`))?.status()).toBe(404);
      await shoot(page, "54-supplier-guess-not-found");
      await page.close();
    }, 120_000);

    it("auditor: reads sync logs, charts and the audit log (with its CSV); orders, products and actions are refused", async () => {
      const page = await loginAs("auditor");
      await visit(page, "/admin/sync/messages?outcome=rejected", "60-auditor-messages", "消息日志");
      await visit(page, "/admin/audit", "61-auditor-audit", "审计日志");
      const [download] = await Promise.all([page.waitForEvent("download"), page.click('a[href^="/admin/api/exports/audit"]')]);
      expect(download.suggestedFilename()).toBe("audit.csv");
      await visit(page, "/admin/conformance/runs", "62-auditor-conformance", "对接测试");
      for (const path of ["/admin/orders", "/admin/products", "/admin/suppliers", "/admin/users"]) {
        expect((await page.goto(`${url}${path}`))?.status(), path).toBe(403);
      }
      const csrf = await page.inputValue('form[action="/admin/logout"] input[name="_csrf"]');
      const action = await page.request.post(`${url}/admin/suppliers/${world.code}/rotate`, {
        form: { _csrf: csrf, password: "true", appSecret: "true" },
        maxRedirects: 0,
      });
      expect(action.status()).toBe(403);
      await page.close();
      expect(shots.length).toBeGreaterThan(30);
    }, 120_000);

    it("supplier user: certifies itself from the portal, following the run live to its report and mark", async () => {
      if (!sandbox) throw new Error("no sandbox");
      // As a supplier would before running again: its offered skus re-announced, and a sandbox slow
      // enough that the run's modules are seen one by one.
      if (sandbox.sim.pool.pending(6) === 0) sandbox.sim.changes.publishPool();
      sandbox.sim.knobs.apply({ endpoints: { "*": { latencyMs: 40 } } });
      const page = await loginAs("sim-ops");
      await visit(page, "/admin/conformance/runs", "70-supplier-self-service", "对接测试");
      await page.fill('#self-service input[name="baseUrl"]', sandbox.url);
      await page.fill('#self-service input[name="username"]', TEST_ACCOUNT.username);
      await page.fill('#self-service input[name="password"]', TEST_ACCOUNT.password);
      await page.fill('#self-service input[name="appSecret"]', TEST_ACCOUNT.appSecret);
      await Promise.all([page.waitForURL(/\/admin\/conformance\/runs\/crun_[\w-]+\?msg=queued$/), page.click('#self-service button:has-text("发起对接测试")')]);
      const runUrl = page.url();
      await shoot(page, "71-supplier-self-service-progress");
      // Followed live: modules appear in place (no navigation), then the page loads the report once.
      let navigations = 0;
      page.on("framenavigated", (frame) => {
        if (frame === page.mainFrame()) navigations++;
      });
      const seen = await page.locator("#run-progress [data-module]").count();
      await expect.poll(() => page.locator("#run-progress [data-module]").count(), { timeout: 60_000 }).toBeGreaterThan(seen);
      expect(navigations).toBe(0);
      await page.waitForSelector("text=报告 SHA-256", { timeout: 90_000 });
      expect(navigations).toBe(1);
      expect(page.url()).toBe(runUrl);
      const text = (await page.locator("main").textContent()) ?? "";
      expect(text).toContain("通过");
      expect(text).toMatch(/信任标识有效 mark_/);
      await expect(page.locator('a[href$="/report.html"]').count()).resolves.toBe(1);
      await shoot(page, "72-supplier-self-service-report");
      // The sandbox stays registered, its secrets masked; the portal never shows them again.
      await visit(page, "/admin/conformance/runs", "73-supplier-self-service-registered", "对接测试");
      const card = (await page.locator("#self-service").textContent()) ?? "";
      expect(card).toContain(sandbox.url);
      expect(card).toContain("••••••");
      expect(await page.content()).not.toContain(TEST_ACCOUNT.appSecret);
      await expect(page.locator("#conformance dl").textContent()).resolves.toContain("有效");
      sandbox.sim.knobs.reset();
      await page.close();
    }, 150_000);
  },
);
