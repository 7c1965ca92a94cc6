import { z } from "zod";
import { areaCode, wireId, wireInt, wireText } from "./primitives.js";

/** Mall interfaces M-2…M-7 (§4): what suppliers send us and what we answer. */

export const PlatformInfoRequest = z.object({});
export const PlatformInfo = z.object({
  platformCode: z.string(),
  platformName: z.string(),
  supplierCode: z.string(),
  supplierName: z.string(),
});
export type PlatformInfo = z.output<typeof PlatformInfo>;

export const CatalogsRequest = z.object({
  parentId: wireId().optional().describe('Children of this catalog; omitted: the whole tree, flat. "0" = the roots.'),
});
export const CatalogItem = z.object({
  id: z.string(),
  interfaceCode: z.string().describe("政府采购品目 code, opaque."),
  name: z.string(),
  parentId: z.string().describe('"0" at the root.'),
  level: z.number().int().min(1).max(4),
  isLeaf: z.union([z.literal(1), z.literal(0)]),
  version: z.number().int().describe("Changes whenever the catalog or its parameters change."),
  updateTime: z.string(),
});
export type CatalogItem = z.output<typeof CatalogItem>;
export const CatalogsResult = z.array(CatalogItem);

export const PromiseType = { Commitment: 1, Certification: 2, SevenDayReturn: 3 } as const;
export const RegionPromiseRequest = z.object({
  regionCode: areaCode.optional().describe("GB/T 2260 code; default the platform's own (120000)."),
});
export const PromiseOption = z.object({
  promiseType: z.union([z.literal(1), z.literal(2), z.literal(3)]).describe("1 商品承诺, 2 产品认证, 3 七天无理由退货"),
  promiseId: z.string(),
  promiseName: z.string(),
  promiseDesc: z.string(),
  needAttachment: z.union([z.literal(1), z.literal(0)]),
  required: z.union([z.literal(1), z.literal(0)]),
  interfaceCodes: z.array(z.string()).describe("Catalogs it applies to; empty = all."),
});
export type PromiseOption = z.output<typeof PromiseOption>;
export const RegionPromiseResult = z.array(PromiseOption);

export const InputType = { SingleSelect: 1, MultiSelect: 2, Text: 3, Number: 4 } as const;
export type InputType = (typeof InputType)[keyof typeof InputType];
export const CatalogParamsRequest = z.object({
  id: wireId().optional().describe("Catalog id (M-3)."),
  interfaceCode: wireText(64).optional().describe("Catalog 品目 code; one of id / interfaceCode is required."),
  version: wireInt(0, Number.MAX_SAFE_INTEGER).optional().describe("The version the caller holds; stale → 5010."),
});
export const ParamValue = z.object({ valueID: z.string(), value: z.string() });
export const CatalogParam = z.object({
  attributeID: z.string().max(50),
  attributeName: z.string().max(200),
  inputType: z.union([z.literal(1), z.literal(2), z.literal(3), z.literal(4)]).describe("1 single-select, 2 multi-select, 3 text, 4 number"),
  required: z.union([z.literal(1), z.literal(0)]),
  unit: z.string(),
  sort: z.number().int(),
  values: z.array(ParamValue).describe("Empty for text and number items."),
});
export type CatalogParam = z.output<typeof CatalogParam>;
export const CatalogParamsResult = z.array(CatalogParam);

export const AreasRequest = z.object({
  parentCode: areaCode.optional().describe("Children of this area; omitted: the provinces."),
});
export const Area = z.object({
  code: z.string().describe("GB/T 2260, 6 digits."),
  name: z.string(),
  level: z.union([z.literal(1), z.literal(2), z.literal(3)]).describe("1 province, 2 city, 3 county"),
  parentCode: z.string().describe('"0" for provinces.'),
});
export type Area = z.output<typeof Area>;
export const AreasResult = z.array(Area);

export const BRANDS_PAGE_SIZE_MAX = 500;
export const BrandsRequest = z.object({
  interfaceCode: wireText(64).optional().describe("Only brands linked to this catalog code."),
  name: wireText(100).optional().describe("Substring of the Chinese or English brand name."),
  pageNo: wireInt(1, 1_000_000).optional().describe("Default 1."),
  pageSize: wireInt(1, BRANDS_PAGE_SIZE_MAX).optional().describe("Default 100, at most 500."),
});
export const Brand = z.object({
  brandId: z.string(),
  brandName: z.string(),
  brandEnName: z.string(),
  logo: z.string(),
});
export type Brand = z.output<typeof Brand>;
export const BrandsResult = z.object({ total: z.number().int(), list: z.array(Brand) });
export type BrandsResult = z.output<typeof BrandsResult>;
