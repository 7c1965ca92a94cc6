import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AreasResult, BrandsResult, CatalogParamsResult, CatalogsResult, PlatformInfo, RegionPromiseResult } from "../../src/contract/index.js";
import { type TestGateway, nextCreditCode, startTestGateway } from "../helpers/harness.js";
import { MallCaller, post, verifyAnswerSignature } from "../helpers/mall-caller.js";
import { rawSql } from "../helpers/raw-sql.js";
import { waitFor } from "../helpers/wait.js";

let gw: TestGateway;
let caller: MallCaller;

beforeAll(async () => {
  gw = await startTestGateway();
  const { credentials } = await gw.container.supplierAccounts.create({
    code: "JD",
    name: "北京京东世纪贸易有限公司",
    creditCode: await nextCreditCode(),
    domains: ["item.jd.com"],
  });
  caller = new MallCaller(gw.url, { ...credentials, signMode: "hmac-sha256" }, gw.clock.now);
  await caller.login();
});
afterAll(() => gw.close());

const ok = <T>(answer: { body: Record<string, unknown> }, schema: { parse(v: unknown): T }): T => {
  expect(answer.body.success, JSON.stringify(answer.body)).toBe(true);
  return schema.parse(answer.body.result);
};

describe("M-2 platform info", () => {
  it("names the platform and the calling supplier", async () => {
    const info = ok(await caller.call("/gyssc/platform/info"), PlatformInfo);
    expect(info).toEqual({ platformCode: "TJZFCG", platformName: "天津市政府采购中心电子卖场", supplierCode: "JD", supplierName: "北京京东世纪贸易有限公司" });
  });
});

describe("M-3 catalogs", () => {
  it("returns the whole tree flat, with ≥ 40 leaves, parents before children", async () => {
    const list = ok(await caller.call("/gyssc/platform/catalogs"), CatalogsResult);
    expect(list.filter((c) => c.isLeaf === 1).length).toBeGreaterThanOrEqual(40);
    const ids = new Set(list.map((c) => c.id));
    for (const c of list) {
      if (c.parentId === "0") expect(c.level).toBe(1);
      else expect(ids.has(c.parentId)).toBe(true);
    }
    expect(list.find((c) => c.interfaceCode === "A02010105")?.name).toBe("台式计算机");
  });

  it("returns the children of one catalog, and 5007 for an unknown parentId", async () => {
    const roots = ok(await caller.call("/gyssc/platform/catalogs", { parentId: "0" }), CatalogsResult);
    expect(roots.length).toBeGreaterThan(0);
    expect(roots.every((c) => c.level === 1 && c.parentId === "0")).toBe(true);
    const first = roots[0];
    const children = ok(await caller.call("/gyssc/platform/catalogs", { parentId: first?.id ?? "" }), CatalogsResult);
    expect(children.every((c) => c.parentId === first?.id && c.level === 2)).toBe(true);
    expect((await caller.call("/gyssc/platform/catalogs", { parentId: "no-such" })).body).toMatchObject({ success: false, code: 5007 });
  });
});

describe("M-4 region promises", () => {
  it("returns the three promise types for the default region and for a named one", async () => {
    const list = ok(await caller.call("/gyssc/platform/getRegionPromise"), RegionPromiseResult);
    expect(new Set(list.map((p) => p.promiseType))).toEqual(new Set([1, 2, 3]));
    const beijing = ok(await caller.call("/gyssc/platform/getRegionPromise", { regionCode: "110000" }), RegionPromiseResult);
    expect(beijing.length).toBe(list.length);
  });

  it("answers 5099 for a region code that does not exist or is malformed", async () => {
    expect((await caller.call("/gyssc/platform/getRegionPromise", { regionCode: "999999" })).body).toMatchObject({ code: 5099 });
    expect((await caller.call("/gyssc/platform/getRegionPromise", { regionCode: "12" })).body).toMatchObject({ code: 5099 });
  });
});

describe("M-5 catalog parameters", () => {
  it("returns the parameter items of a leaf by id and by interfaceCode", async () => {
    const desktop = await gw.container.repos.reference.catalogByInterfaceCode("A02010105");
    const byCode = ok(await caller.call("/catalogsParam", { interfaceCode: "A02010105" }), CatalogParamsResult);
    const byId = ok(await caller.call("/catalogsParam", { id: desktop?.id ?? "" }), CatalogParamsResult);
    expect(byId).toEqual(byCode);
    expect(byCode.some((p) => p.required === 1 && (p.inputType === 1 || p.inputType === 2) && p.values.length > 0)).toBe(true);
    for (const p of byCode) if (p.inputType === 3 || p.inputType === 4) expect(p.values).toEqual([]);
    const withVersion = await caller.call("/catalogsParam", { id: desktop?.id ?? "", version: String(desktop?.version) });
    expect(withVersion.body.success).toBe(true);
  });

  it("answers 5008, 5007, 5010 and 5011 where the contract names them", async () => {
    expect((await caller.call("/catalogsParam", {})).body).toMatchObject({ code: 5008 });
    expect((await caller.call("/catalogsParam", { version: "x" })).body).toMatchObject({ code: 5008 });
    expect((await caller.call("/catalogsParam", { id: "404404" })).body).toMatchObject({ code: 5007 });
    expect((await caller.call("/catalogsParam", { interfaceCode: "Z99" })).body).toMatchObject({ code: 5007 });
    const stale = await caller.call("/catalogsParam", { interfaceCode: "A02010105", version: "999" });
    expect(stale.body).toMatchObject({ code: 5010 });
    expect(stale.body.desc).toContain("品目数据已更新，请重新获取品目！");
    const nonLeaf = (await gw.container.repos.reference.allCatalogs()).find((c) => c.isLeaf === 0);
    expect((await caller.call("/catalogsParam", { id: nonLeaf?.id ?? "" })).body).toMatchObject({ code: 5011 });
  });

  it("answers 5012 when stored parameter items cannot be loaded", async () => {
    const leaf = await gw.container.repos.reference.catalogByInterfaceCode("A02010108");
    await rawSql(gw.container.store).run("UPDATE catalog_params SET values_json = '{broken' WHERE catalog_id = ?", leaf?.id);
    // A revision moved by hand: on PostgreSQL the running gateway hears it from the trigger, a moment later.
    await rawSql(gw.container.store).run("UPDATE store_meta SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'reference_revision'");
    const answer = await waitFor(
      "the moved revision reaches the gateway",
      async () => {
        const body = (await caller.call("/catalogsParam", { id: leaf?.id ?? "" })).body;
        return body.code === 5012 ? body : null;
      },
      5_000,
    );
    expect(answer).toMatchObject({ code: 5012 });
  });

  it("bumps a catalog's version when its parameters change in a reloaded edition, so old versions get 5010", async () => {
    const path = join(gw.config.FIXTURES_DIR, "catalogs.json");
    const edition = JSON.parse(readFileSync(path, "utf8")) as { catalogs: Array<{ interfaceCode: string; params?: Array<{ attributeName: string }> }> };
    const before = ok(await caller.call("/gyssc/platform/catalogs"), CatalogsResult);
    const printer = before.find((c) => c.interfaceCode === "A02021003");
    const desktop = before.find((c) => c.interfaceCode === "A02010105");
    const target = edition.catalogs.find((c) => c.interfaceCode === "A02021003");
    const firstParam = target?.params?.[0];
    if (!firstParam) throw new Error("fixture lacks A02021003 params");
    firstParam.attributeName += "（修订）";
    const edited = join(gw.dir, "catalogs-edited.json");
    writeFileSync(edited, JSON.stringify(edition));
    const report = await gw.container.referenceLoader.loadCatalogs(edited);
    expect(report.changed).toBe(1);

    const after = ok(await caller.call("/gyssc/platform/catalogs"), CatalogsResult);
    expect(after.find((c) => c.interfaceCode === "A02021003")?.version).toBe((printer?.version ?? 0) + 1);
    expect(after.find((c) => c.interfaceCode === "A02010105")?.version).toBe(desktop?.version);
    const stale = await caller.call("/catalogsParam", { interfaceCode: "A02021003", version: String(printer?.version) });
    expect(stale.body).toMatchObject({ code: 5010 });
  });
});

describe("M-6 areas", () => {
  it("walks province → city → county with GB/T 2260 codes", async () => {
    const provinces = ok(await caller.call("/getAreas"), AreasResult);
    expect(provinces.length).toBeGreaterThanOrEqual(31);
    expect(provinces.find((a) => a.code === "120000")).toEqual({ code: "120000", name: "天津市", level: 1, parentCode: "0" });
    const cities = ok(await caller.call("/getAreas", { parentCode: "120000" }), AreasResult);
    expect(cities).toContainEqual({ code: "120100", name: "市辖区", level: 2, parentCode: "120000" });
    const counties = ok(await caller.call("/getAreas", { parentCode: "120100" }), AreasResult);
    expect(counties.map((c) => c.code)).toEqual(expect.arrayContaining(["120101", "120119"]));
    expect(counties.find((c) => c.code === "120119")?.name).toBe("蓟州区");
    expect(counties.every((c) => c.level === 3)).toBe(true);
  });

  it("answers 5099 for an unknown parentCode", async () => {
    expect((await caller.call("/getAreas", { parentCode: "990000" })).body).toMatchObject({ code: 5099 });
  });
});

describe("M-7 brands", () => {
  it("pages through ≥ 150 brands with a stable total", async () => {
    const first = ok(await caller.call("/brands"), BrandsResult);
    expect(first.total).toBeGreaterThanOrEqual(150);
    expect(first.list.length).toBe(100);
    const second = ok(await caller.call("/brands", { pageNo: "2", pageSize: "100" }), BrandsResult);
    expect(second.total).toBe(first.total);
    expect(second.list.length).toBe(first.total - 100);
    expect(new Set([...first.list, ...second.list].map((b) => b.brandId)).size).toBe(first.total);
  });

  it("filters by catalog code and by Chinese or English name", async () => {
    const desktops = ok(await caller.call("/brands", { interfaceCode: "A02010105" }), BrandsResult);
    expect(desktops.list.map((b) => b.brandName)).toContain("联想");
    expect(desktops.total).toBeLessThan(100);
    const lenovo = ok(await caller.call("/brands", { name: "lenovo" }), BrandsResult);
    expect(lenovo.list.map((b) => b.brandName)).toEqual(["联想"]);
    const chinese = ok(await caller.call("/brands", { name: "得力" }), BrandsResult);
    expect(chinese.list[0]?.brandEnName).toBe("deli");
  });

  it("answers 5099 for pageSize over 500 or a non-numeric pageNo", async () => {
    expect((await caller.call("/brands", { pageSize: "501" })).body).toMatchObject({ code: 5099 });
    expect((await caller.call("/brands", { pageNo: "abc" })).body).toMatchObject({ code: 5099 });
  });
});

describe("transport rules (§1)", () => {
  const paths = [
    "/gyssc/token",
    "/gyssc/platform/info",
    "/gyssc/platform/catalogs",
    "/gyssc/platform/getRegionPromise",
    "/catalogsParam",
    "/getAreas",
    "/brands",
  ];

  it("answers 405 with a 5099 envelope for every method but POST, on every mall path", async () => {
    for (const path of paths) {
      for (const method of ["GET", "PUT", "DELETE"]) {
        const res = await fetch(`${gw.url}${path}`, { method });
        expect(res.status).toBe(405);
        expect(await res.json()).toMatchObject({ success: false, code: 5099 });
      }
    }
  });

  it("answers 413 with a 5099 envelope for a 2 MiB body", async () => {
    const res = await fetch(`${gw.url}/brands`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ token: caller.token, pad: "x".repeat(2 * 1024 * 1024) }),
    });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({ success: false, code: 5099 });
  });

  it("answers malformed JSON with a 5099 envelope and no stack trace", async () => {
    const res = await fetch(`${gw.url}/gyssc/token`, { method: "POST", headers: { "content-type": "application/json" }, body: '{"username": "jd",' });
    const text = await res.text();
    expect(res.status).toBe(200);
    expect(JSON.parse(text)).toMatchObject({ success: false, code: 5099 });
    expect(text).not.toMatch(/at .*\.(js|ts):\d+/);
  });

  it("answers wrong types with 5099 naming the field", async () => {
    const arrayBody = await fetch(`${gw.url}/gyssc/token`, { method: "POST", headers: { "content-type": "application/json" }, body: "[1,2]" });
    expect(await arrayBody.json()).toMatchObject({ code: 5099 });
    const json = new MallCaller(gw.url, caller.credentials, gw.clock.now, "json");
    json.token = caller.token;
    const wrongType = await json.call("/getAreas", { parentCode: { nested: true } });
    expect(wrongType.body).toMatchObject({ code: 5099 });
    expect(wrongType.body.desc).toContain("parentCode");
  });

  it("accepts JSON bodies with numbers where form bodies carry strings", async () => {
    const json = new MallCaller(gw.url, caller.credentials, gw.clock.now, "json");
    json.token = caller.token;
    const answer = await json.call("/brands", { pageNo: 1, pageSize: 5 });
    expect(ok(answer, BrandsResult).list.length).toBe(5);
    expect(verifyAnswerSignature(answer, caller.credentials.appSecret)).toBe(true);
  });

  it("never puts a line break in a response body, even when the input had them", async () => {
    const answers = [
      await post(`${gw.url}/gyssc/token`, { username: "a\nb", password: "x\r\ny", timestamp: "bad\n", sign: "s", nonce: "n" }),
      await caller.call("/brands", { name: "联\n想" }),
      await caller.call("/getAreas", { parentCode: "12\n0000" }),
      await caller.call("/gyssc/platform/catalogs"),
      await caller.call("/catalogsParam", { interfaceCode: "A02010105" }),
    ];
    for (const a of answers) {
      expect(a.text).not.toMatch(/[\r\n]/);
      expect(a.headers.get("content-type")).toBe("application/json;charset=UTF-8");
    }
  });

  it("answers an unknown path with a 5099 envelope over HTTP 200, and serves paths only as the contract spells them", async () => {
    for (const path of ["/no/such/path", "/GETAREAS", "/getAreas/"]) {
      const answer = await caller.call(path);
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ success: false, code: 5099 });
    }
  });

  it("accepts area codes sent as JSON numbers", async () => {
    const json = new MallCaller(gw.url, caller.credentials, gw.clock.now, "json");
    json.token = caller.token;
    const cities = ok(await json.call("/getAreas", { parentCode: 120000 }), AreasResult);
    expect(cities.map((c) => c.code)).toContain("120100");
  });

  it("answers 5010 with the contract's desc word for word", async () => {
    const stale = await caller.call("/catalogsParam", { interfaceCode: "A02010105", version: "999" });
    expect(stale.body).toEqual({ success: false, desc: "品目数据已更新，请重新获取品目！", code: 5010 });
  });

  it("returns a request id header on every answer", async () => {
    const answer = await caller.call("/gyssc/platform/info");
    expect(answer.headers.get("x-request-id")).toMatch(/^req_/);
  });
});
