import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CatalogRow, ReferenceRepo } from "../../src/store/repos/reference-repo.js";
import { type TestGateway, startTestGateway } from "../helpers/harness.js";

let gw: TestGateway;
let repo: ReferenceRepo;
beforeAll(async () => {
  gw = await startTestGateway();
  repo = gw.container.repos.reference;
});
afterAll(() => gw.close());

const entryOf = ({ retired: _retired, ...catalog }: CatalogRow) => ({ catalog, params: null });

describe("reference repository, on either database", () => {
  it("pages brands by catalog code and by a name in either language, ignoring case, wildcards taken literally", async () => {
    const lenovo = await repo.brandPage({ name: "LeNoVo", offset: 0, limit: 10 });
    expect(lenovo).toEqual({ total: 1, rows: [expect.objectContaining({ brandName: "联想", brandEnName: "Lenovo" })] });
    expect((await repo.brandPage({ name: "联", offset: 0, limit: 10 })).rows.map((b) => b.brandName)).toContain("联想");
    expect(await repo.brandPage({ interfaceCode: "A02010105", name: "lenovo", offset: 0, limit: 10 })).toMatchObject({ total: 1 });
    expect(await repo.brandPage({ interfaceCode: "Z99", name: "lenovo", offset: 0, limit: 10 })).toEqual({ total: 0, rows: [] });
    expect((await repo.brandPage({ name: "%", offset: 0, limit: 10 })).total).toBe(0);
    expect((await repo.brandPage({ name: "_", offset: 0, limit: 10 })).total).toBe(0);
    const all = await repo.brandPage({ offset: 0, limit: 500 });
    const page = await repo.brandPage({ offset: 5, limit: 3 });
    expect(page).toEqual({ total: all.total, rows: all.rows.slice(5, 8) });
  });

  it("bumps the revision once with every write", async () => {
    const before = await repo.revision();
    const options = await repo.allPromiseOptions();
    await repo.replacePromiseOptions(options);
    expect(await repo.revision()).toBe(before + 1);
    expect(await repo.allPromiseOptions()).toEqual(options);
    const areas = await repo.areasByParent("0");
    const count = await repo.areaCount();
    await repo.replaceAreas(areas);
    expect(await repo.revision()).toBe(before + 2);
    expect(await repo.areaCount()).toBe(areas.length);
    expect(count).toBeGreaterThan(areas.length);
    await repo.replaceBrands([{ brandId: "B1", brandName: "甲", brandEnName: "Alpha", logo: "", sort: 0 }], [{ brandId: "B1", interfaceCode: "A02010105" }]);
    expect(await repo.revision()).toBe(before + 3);
    expect(await repo.brandExists("B1")).toBe(true);
    expect(await repo.brandPage({ interfaceCode: "A02010105", offset: 0, limit: 10 })).toMatchObject({ total: 1 });
  });

  it("writes a catalog edition in one transaction: codes may swap, catalogs left out are retired and give their code up", async () => {
    const active = await repo.allCatalogs();
    const [a, b] = active.filter((c) => c.isLeaf === 1);
    if (!a || !b) throw new Error("fixtures lack two leaf catalogs");
    const before = await repo.revision();
    const swapped = await repo.writeCatalogEdition((existing) => {
      expect(existing.length).toBeGreaterThanOrEqual(active.length);
      return {
        entries: active.map((c) =>
          entryOf(c.id === a.id ? { ...c, interfaceCode: b.interfaceCode } : c.id === b.id ? { ...c, interfaceCode: a.interfaceCode } : c),
        ),
      };
    });
    expect(swapped.retired).toBe(0);
    expect((await repo.catalogByInterfaceCode(a.interfaceCode))?.id).toBe(b.id);
    expect((await repo.catalogById(a.id))?.interfaceCode).toBe(b.interfaceCode);
    expect(await repo.revision()).toBe(before + 1);

    const dropped = await repo.writeCatalogEdition(() => ({
      entries: active.filter((c) => c.id !== a.id).map((c) => entryOf(c.id === b.id ? { ...c, interfaceCode: b.interfaceCode } : c)),
    }));
    expect(dropped.retired).toBe(1);
    expect(await repo.catalogById(a.id)).toMatchObject({ retired: 1, interfaceCode: `retired:${a.id}:${b.interfaceCode}` });
    expect((await repo.allCatalogs()).map((c) => c.id)).not.toContain(a.id);
    expect((await repo.catalogByInterfaceCode(b.interfaceCode))?.id).toBe(b.id);
    expect(await repo.revision()).toBe(before + 2);
  });
});
