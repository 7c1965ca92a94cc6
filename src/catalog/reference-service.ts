import {
  type Area,
  type BrandsResult,
  type CatalogItem,
  type CatalogParam,
  ErrorCode,
  type Failure,
  type PromiseOption,
  failure,
  formatBeijingTimestamp,
} from "../contract/index.js";
import type { CatalogRow, ReferenceRepo } from "../store/repos/reference-repo.js";

/**
 * Answers for M-3…M-7. Reference data is read-mostly, so each answer is kept, already serialized,
 * until the store's reference revision moves (a reload by the CLI or another process).
 */
export type ReferenceAnswer = { readonly ok: true; readonly json: string } | { readonly ok: false; readonly failure: Failure };

const CACHE_ENTRIES_MAX = 2_000;
const BRAND_PAGE_SIZE_DEFAULT = 100;

export type ReferenceService = ReturnType<typeof createReferenceService>;

export function createReferenceService(repo: ReferenceRepo, platformRegionCode: string) {
  let cachedRevision = -1;
  const cache = new Map<string, ReferenceAnswer>();

  // The revision is read on every call, so a reload from another process reaches the next one; the
  // answers themselves come from the cache while it stands.
  const memo = async (key: string, compute: () => Promise<ReferenceAnswer>): Promise<ReferenceAnswer> => {
    const revision = await repo.revision();
    if (revision !== cachedRevision) {
      cache.clear();
      cachedRevision = revision;
    }
    const hit = cache.get(key);
    if (hit) return hit;
    const answer = await compute();
    // Another call saw a newer revision while this one read: the answer may predate it, so it is not kept.
    if (cachedRevision !== revision) return answer;
    if (cache.size >= CACHE_ENTRIES_MAX) cache.clear();
    cache.set(key, answer);
    return answer;
  };
  const ok = (value: unknown): ReferenceAnswer => ({ ok: true, json: JSON.stringify(value) });
  const fail = (code: ErrorCode, detail?: string): ReferenceAnswer => ({ ok: false, failure: failure(code, detail) });

  const toCatalogItem = (r: CatalogRow): CatalogItem => ({
    id: r.id,
    interfaceCode: r.interfaceCode,
    name: r.name,
    parentId: r.parentId,
    level: r.level,
    isLeaf: r.isLeaf === 1 ? 1 : 0,
    version: r.version,
    updateTime: formatBeijingTimestamp(r.updatedAt),
  });

  return {
    async catalogs(parentId: string | undefined): Promise<ReferenceAnswer> {
      return memo(`catalogs:${parentId ?? "*"}`, async () => {
        const all = await repo.allCatalogs();
        if (parentId === undefined) return ok(all.map(toCatalogItem));
        if (parentId !== "0" && !all.some((c) => c.id === parentId)) return fail(ErrorCode.CatalogNotFound, "parentId");
        return ok(all.filter((c) => c.parentId === parentId).map(toCatalogItem));
      });
    },

    /** M-5, checks in the contract's order: 5008, 5007, 5010, 5011, 5012. */
    async catalogParams(query: { id?: string; interfaceCode?: string; version?: number }): Promise<ReferenceAnswer> {
      if (query.id === undefined && query.interfaceCode === undefined) return fail(ErrorCode.CatalogIdMissing);
      const key = `params:${query.id ?? ""}:${query.interfaceCode ?? ""}:${query.version ?? ""}`;
      return memo(key, async () => {
        const catalog = query.id !== undefined ? await repo.catalogById(query.id) : await repo.catalogByInterfaceCode(query.interfaceCode ?? "");
        // Names the field, never the caller's value: mall answers are signed (§2.3).
        const named = query.id !== undefined ? "id" : "interfaceCode";
        if (!catalog || catalog.retired === 1) return fail(ErrorCode.CatalogNotFound, named);
        if (query.interfaceCode !== undefined && catalog.interfaceCode !== query.interfaceCode) {
          return fail(ErrorCode.CatalogNotFound, "id 与 interfaceCode 不是同一品目");
        }
        if (query.version !== undefined && query.version !== catalog.version) {
          // §4 M-5 gives this desc word for word; clients match on it.
          return fail(ErrorCode.CatalogVersionStale);
        }
        const rows = await repo.paramsOfCatalog(catalog.id);
        if (rows.length === 0) return fail(ErrorCode.CatalogParamsNotFound, named);
        const params: CatalogParam[] = [];
        for (const r of rows) {
          const values = parseValues(r.valuesJson);
          if (values === null || !isInputType(r.inputType)) return fail(ErrorCode.CatalogParamsUnavailable, `attributeID=${r.attributeId}`);
          params.push({
            attributeID: r.attributeId,
            attributeName: r.attributeName,
            inputType: r.inputType,
            required: r.required === 1 ? 1 : 0,
            unit: r.unit,
            sort: r.sort,
            values: r.inputType === 3 || r.inputType === 4 ? [] : values,
          });
        }
        return ok(params);
      });
    },

    async areas(parentCode: string | undefined): Promise<ReferenceAnswer> {
      return memo(`areas:${parentCode ?? "*"}`, async () => {
        if (parentCode !== undefined && !(await repo.areaByCode(parentCode))) return fail(ErrorCode.Other, "地区编码不存在: parentCode");
        const rows = await repo.areasByParent(parentCode ?? "0");
        return ok(rows.map((r): Area => ({ code: r.code, name: r.name, level: r.level as Area["level"], parentCode: r.parentCode })));
      });
    },

    async promises(regionCode: string | undefined): Promise<ReferenceAnswer> {
      const region = regionCode ?? platformRegionCode;
      return memo(`promises:${region}`, async () => {
        if (!(await repo.areaByCode(region))) return fail(ErrorCode.Other, "地区编码不存在: regionCode");
        const rows = await repo.allPromiseOptions();
        return ok(
          rows.map((r): PromiseOption => ({
            promiseType: r.promiseType as PromiseOption["promiseType"],
            promiseId: r.promiseId,
            promiseName: r.promiseName,
            promiseDesc: r.promiseDesc,
            needAttachment: r.needAttachment === 1 ? 1 : 0,
            required: r.required === 1 ? 1 : 0,
            interfaceCodes: JSON.parse(r.interfaceCodesJson) as string[],
          })),
        );
      });
    },

    async brands(query: { interfaceCode?: string; name?: string; pageNo?: number; pageSize?: number }): Promise<ReferenceAnswer> {
      const pageNo = query.pageNo ?? 1;
      const pageSize = query.pageSize ?? BRAND_PAGE_SIZE_DEFAULT;
      return memo(`brands:${query.interfaceCode ?? ""}:${query.name ?? ""}:${pageNo}:${pageSize}`, async () => {
        const page = await repo.brandPage({
          interfaceCode: query.interfaceCode,
          name: query.name,
          offset: (pageNo - 1) * pageSize,
          limit: pageSize,
        });
        const result: BrandsResult = {
          total: page.total,
          list: page.rows.map((b) => ({ brandId: b.brandId, brandName: b.brandName, brandEnName: b.brandEnName, logo: b.logo })),
        };
        return ok(result);
      });
    },
  };
}

function isInputType(n: number): n is CatalogParam["inputType"] {
  return n === 1 || n === 2 || n === 3 || n === 4;
}

function parseValues(json: string): CatalogParam["values"] | null {
  try {
    const parsed = JSON.parse(json) as unknown;
    if (!Array.isArray(parsed)) return null;
    const out: CatalogParam["values"] = [];
    for (const v of parsed as unknown[]) {
      if (typeof v !== "object" || v === null) return null;
      const { valueID, value } = v as Record<string, unknown>;
      if (typeof valueID !== "string" || typeof value !== "string") return null;
      out.push({ valueID, value });
    }
    return out;
  } catch {
    return null;
  }
}
