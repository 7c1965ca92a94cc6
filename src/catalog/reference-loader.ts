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
  const loadCatalogs = (path: string): NonNullable<ReferenceLoadReport["catalogs"]> => {
    const file = readReferenceFile(path, CatalogFile);
    const existingRows = repo.allCatalogRowsIncludingRetired();
    const existing = new Map(existingRows.map((r) => [r.id, r]));
    const plan = planCatalogEdition(file, existing, clock());
    const keep = new Set(file.catalogs.map((c) => c.id));
    const retired = existingRows.filter((r) => r.retired === 0 && !keep.has(r.id)).length;
    repo.writeCatalogEdition(plan.entries);
    return {
      edition: file.edition,
      total: plan.entries.length,
      leaves: plan.entries.filter((e) => e.catalog.isLeaf === 1).length,
      added: plan.added,
      changed: plan.changed,
      retired,
    };
  };

  const loadBrands = (path: string): NonNullable<ReferenceLoadReport["brands"]> => {
    const file = readReferenceFile(path, BrandFile);
    const ids = new Set(file.brands.map((b) => b.brandId));
    if (ids.size !== file.brands.length) throw new ReferenceFileError(`${path}: duplicate brandId`);
    const links = file.brands.flatMap((b) => b.interfaceCodes.map((interfaceCode) => ({ brandId: b.brandId, interfaceCode })));
    repo.replaceBrands(
      file.brands.map((b, sort) => ({ brandId: b.brandId, brandName: b.brandName, brandEnName: b.brandEnName, logo: b.logo, sort })),
      links,
    );
    return { total: file.brands.length, links: links.length };
  };

  const loadPromises = (path: string): NonNullable<ReferenceLoadReport["promises"]> => {
    const file = readReferenceFile(path, PromiseFile);
    repo.replacePromiseOptions(
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

  const loadAreas = (): NonNullable<ReferenceLoadReport["areas"]> => {
    const rows = loadChinaAreas();
    repo.replaceAreas(rows);
    return { total: rows.length };
  };

  return {
    loadCatalogs,
    loadBrands,
    loadPromises,
    loadAreas,
    /** First start: an empty store gets the shipped edition; a loaded one is left as the centre left it. */
    seedIfEmpty(fixturesDir: string): ReferenceLoadReport | null {
      const report: ReferenceLoadReport = {};
      if (repo.isEmpty()) {
        report.catalogs = loadCatalogs(join(fixturesDir, "catalogs.json"));
        report.brands = loadBrands(join(fixturesDir, "brands.json"));
        report.promises = loadPromises(join(fixturesDir, "promises.json"));
      }
      if (repo.areaCount() === 0) report.areas = loadAreas();
      return Object.keys(report).length > 0 ? report : null;
    },
  };
}
