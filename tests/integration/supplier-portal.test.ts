import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/run-cli.js";
import { testDatabaseUrl } from "../helpers/test-database.js";
import { consoleLogin, getPage } from "../helpers/console-session.js";
import { PASSWORD, type Session, type TwoSupplierWorld, apiCall, apiLogin, startTwoSupplierWorld } from "../helpers/two-supplier-world.js";

/** The page's own content as a reader sees it: the main element without tags (the menu and header left out). */
const visibleText = (page: string) => (/<main[^>]*>([\s\S]*)<\/main>/.exec(page)?.[1] ?? "").replace(/<[^>]+>/g, " ");

describe("supplier portal: 申请上架 and the decision the supplier reads", () => {
  let w: TwoSupplierWorld;
  let url: string;
  let supa: Session;
  let admin: Session;

  beforeAll(async () => {
    w = await startTwoSupplierWorld(20);
    url = w.a.gw.url;
    supa = await apiLogin(url, "supa");
    admin = await apiLogin(url, "admin");
  }, 180_000);
  afterAll(async () => w?.close());

  const product = async (s: Session, sku: string) =>
    (
      (await (await apiCall(url, s, "GET", `/products/${w.aFacts.code}/${sku}`)).json()) as {
        product: { listingState: string; listingReason: string | null; listingChangedAt: number | null };
      }
    ).product;

  it("a supplier applies, staff refuse with a reason the supplier reads, the supplier applies again and staff approve; each step audited", async () => {
    const { products } = (await (await apiCall(url, supa, "GET", "/products?status=active&listingState=none&limit=1")).json()) as {
      products: Array<{ sku: string }>;
    };
    const sku = products[0]?.sku ?? "";
    expect(sku).not.toBe("");
    expect((await apiCall(url, supa, "POST", `/products/${w.aFacts.code}/${sku}/listing/apply`, {})).status).toBe(200);
    expect((await product(supa, sku)).listingState).toBe("applied");

    expect((await apiCall(url, supa, "POST", `/products/${w.aFacts.code}/${sku}/listing/approve`, {})).status).toBe(403);
    const noReason = await apiCall(url, admin, "POST", `/products/${w.aFacts.code}/${sku}/listing/refuse`, {});
    expect(noReason.status).toBe(400);
    expect(((await noReason.json()) as { error: { fields: Array<{ field: string }> } }).error.fields[0]?.field).toBe("body.note");
    expect((await apiCall(url, admin, "POST", `/products/${w.aFacts.code}/${sku}/listing/refuse`, { note: "缺少3C认证证书" })).status).toBe(200);

    const refused = await product(supa, sku);
    expect(refused).toMatchObject({ listingState: "refused", listingReason: "缺少3C认证证书" });
    expect(refused.listingChangedAt).toBeGreaterThan(0);
    const page = await (
      await fetch(`${url}/admin/login`, {
        method: "POST",
        body: new URLSearchParams({ username: "supa", password: "correct horse battery staple", next: "/admin/" }),
        redirect: "manual",
      })
    ).headers.get("set-cookie");
    const html = await (await fetch(`${url}/admin/products/${w.aFacts.code}/${sku}`, { headers: { cookie: (page ?? "").split(";")[0] ?? "" } })).text();
    expect(html).toContain("缺少3C认证证书");
    expect(html).toContain("申请上架");

    expect((await apiCall(url, supa, "POST", `/products/${w.aFacts.code}/${sku}/listing/apply`, {})).status).toBe(200);
    expect((await apiCall(url, admin, "POST", `/products/${w.aFacts.code}/${sku}/listing/approve`, { note: "已补齐" })).status).toBe(200);
    expect(await product(supa, sku)).toMatchObject({ listingState: "approved", listingReason: "已补齐" });

    const trail = (await w.a.gw.container.admin.audit.list({ target: `${w.aFacts.code}/${sku}`, limit: 20 }))
      .map((r) => `${r.actor} ${r.action} ${r.outcome}`)
      .reverse();
    expect(trail).toEqual([
      "supa product.listing_apply ok",
      "supa product.listing_approve refused",
      "admin product.listing_refuse refused",
      "admin product.listing_refuse ok",
      "supa product.listing_apply ok",
      "admin product.listing_approve ok",
    ]);
  });

  it("a supplier user reads its orders in the console with what S-11 sent it: items, amounts and times, no timeline, pushes or staff", async () => {
    const { yggcOrder, sku } = w.aFacts;
    const supplierUser = await consoleLogin(url, "supa", PASSWORD);
    const list = await getPage(url, supplierUser, "/admin/orders");
    expect(list.status).toBe(200);
    const listPage = await list.text();
    const listText = visibleText(listPage);
    expect(listText).toContain(yggcOrder);
    expect(listText).not.toContain("推送");
    // Its own orders' CSV, offered on the page (the export is scoped like the list).
    expect(listPage).toContain('href="/admin/api/exports/orders"');
    const detail = await getPage(url, supplierUser, `/admin/orders/${yggcOrder}`);
    expect(detail.status).toBe(200);
    const text = visibleText(await detail.text());
    expect(text).toContain(sku);
    expect(text).toContain("合计");
    for (const hidden of ["时间线", "推送", "状态"]) expect(text).not.toContain(hidden);
    // The consignee's area by name from the area table, not only its codes.
    const county = await w.a.gw.container.orders.service.show(yggcOrder);
    const countyName = county.ok ? county.value.areaNames.county : null;
    expect(countyName).toMatch(/[\u4e00-\u9fff]/);
    expect(text).toContain(countyName ?? "-");
    // Staff see the same order with its state machine.
    const staff = await consoleLogin(url, "admin", PASSWORD);
    expect(visibleText(await (await getPage(url, staff, `/admin/orders/${yggcOrder}`)).text())).toContain("时间线");
  });

  it("the pull keeps the listing decision when the product is read again", async () => {
    const { products } = (await (await apiCall(url, supa, "GET", "/products?listingState=approved")).json()) as {
      products: Array<{ sku: string; listingReason: string | null }>;
    };
    expect(products.length).toBe(1);
    const sim = w.a.sim.sim;
    const target = sim.products.get(products[0]?.sku ?? "");
    expect(sim.changes.apply("price", target)).not.toBeNull();
    const run = await w.a.gw.container.sync.pull(w.aFacts.code, "manual");
    expect(run.ran && run.summary.callsMade).toBeGreaterThan(0);
    expect(await product(supa, products[0]?.sku ?? "")).toMatchObject({ listingState: "approved", listingReason: "已补齐" });
  });
});

describe("users create --role supplier (CLI)", () => {
  let dir: string;
  let databaseUrl: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "emall-cli-sup-"));
    databaseUrl = await testDatabaseUrl(dir, "gw.db");
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("binds a supplier user to its supplier, and refuses one without --supplier or with an unknown code", () => {
    const env = { DATABASE_URL: databaseUrl, DATA_ENCRYPTION_KEY_FILE: join(dir, "k.key") };
    const created = runCli(
      ["supplier", "create", "--code", "JD", "--name", "京东", "--credit-code", "91110000802100433B", "--domain", "item.jd.com", "--json"],
      env,
    );
    expect(created.status, created.stderr).toBe(0);
    const ok = runCli(
      ["users", "create", "--username", "jd-ops", "--role", "supplier", "--supplier", "JD", "--password-stdin", "--json"],
      env,
      "a long enough password\n",
    );
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.json).toMatchObject({ ok: true, user: { username: "jd-ops", role: "supplier", supplier: "JD" } });
    const missing = runCli(["users", "create", "--username", "jd-two", "--role", "supplier", "--password-stdin", "--json"], env, "a long enough password\n");
    expect(missing.status).toBe(64);
    const unknown = runCli(
      ["users", "create", "--username", "jd-three", "--role", "supplier", "--supplier", "NOPE", "--password-stdin", "--json"],
      env,
      "a long enough password\n",
    );
    expect(unknown.status).not.toBe(0);
    expect(JSON.stringify(unknown.json)).toContain("NOPE");
    const staff = runCli(
      ["users", "create", "--username", "ops1", "--role", "admin", "--supplier", "JD", "--password-stdin", "--json"],
      env,
      "a long enough password\n",
    );
    expect(staff.status).toBe(64);
    const list = runCli(["users", "list", "--json"], env);
    expect(list.json).toMatchObject({ users: [{ username: "jd-ops", role: "supplier", supplier: "JD" }] });
    // Six CLI processes, each starting a TypeScript runtime: seconds apiece on a busy machine.
  }, 120_000);
});
