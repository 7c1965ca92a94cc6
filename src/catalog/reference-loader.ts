import { join } from "node:path";
import type { ReferenceRepo } from "../store/repos/reference-repo.js";
import { loadChinaAreas } from "./area-source.js";
import { planCatalogEdition } from "./catalog-edition.js";
import { BrandFile, CatalogFile, PromiseFile, ReferenceFileError, readReferenceFile } from "./reference-files.js";

export type ReferenceLoadReport = {
  catalogs?: { edition: string; total: number; leaves: number; added: number; changed: number; retired: number };
  brands?: { total: number; links: number };
  promises?: { total: number };
  areas?: { total: number };
};

/** Loading a centre's reference data: catalog editions, brands, promise options and areas. */
export function createReferenceLoader(repo: ReferenceRepo, clock: () => number = Date.now) {
  const loadCatalogs = async (path: string): Promise<NonNullable<ReferenceLoadReport["catalogs"]>> => {
    const file = readReferenceFile(path, CatalogFile);
    const now = clock();
    // Planned against the stored catalogs as the write's transaction reads them.
    const { plan, retired } = await repo.writeCatalogEdition((existing) => planCatalogEdition(file, new Map(existing.map((r) => [r.id, r])), now));
    return {
      edition: file.edition,
      total: plan.entries.length,
      leaves: plan.entries.filter((e) => e.catalog.isLeaf === 1).length,
      added: plan.added,
      changed: plan.changed,
      retired,
    };
  };

  const loadBrands = async (path: string): Promise<NonNullable<ReferenceLoadReport["brands"]>> => {
    const file = readReferenceFile(path, BrandFile);
    const ids = new Set(file.brands.map((b) => b.brandId));
    if (ids.size !== file.brands.length) throw new ReferenceFileError(`${path}: duplicate brandId`);
    const links = file.brands.flatMap((b) => b.interfaceCodes.map((interfaceCode) => ({ brandId: b.brandId, interfaceCode })));
    await repo.replaceBrands(
      file.brands.map((b, sort) => ({ brandId: b.brandId, brandName: b.brandName, brandEnName: b.brandEnName, logo: b.logo, sort })),
      links,
    );
    return { total: file.brands.length, links: links.length };
  };

  const loadPromises = async (path: string): Promise<NonNullable<ReferenceLoadReport["promises"]>> => {
    const file = readReferenceFile(path, PromiseFile);
    await repo.replacePromiseOptions(
      file.promises.map((p, sort) => ({
        promiseId: p.promiseId,
        promiseType: p.promiseType,
        promiseName: p.promiseName,
        promiseDesc: p.promiseDesc,
        needAttachment: p.needAttachment,
        required: p.required,
        interfaceCodesJson: JSON.stringify(p.interfaceCodes),
        sort,
      })),
    );
    return { total: file.promises.length };
  };

  const loadAreas = async (): Promise<NonNullable<ReferenceLoadReport["areas"]>> => {
    const rows = loadChinaAreas();
    await repo.replaceAreas(rows);
    return { total: rows.length };
  };

  return {
    loadCatalogs,
    loadBrands,
    loadPromises,
    loadAreas,
    /** First start: an empty store gets the shipped edition; a loaded one is left as the centre left it. */
    async seedIfEmpty(fixturesDir: string): Promise<ReferenceLoadReport | null> {
      const report: ReferenceLoadReport = {};
      if (await repo.isEmpty()) {
        report.catalogs = await loadCatalogs(join(fixturesDir, "catalogs.json"));
        report.brands = await loadBrands(join(fixturesDir, "brands.json"));
        report.promises = await loadPromises(join(fixturesDir, "promises.json"));
      }
      if ((await repo.areaCount()) === 0) report.areas = await loadAreas();
      return Object.keys(report).length > 0 ? report : null;
    },
  };
}
