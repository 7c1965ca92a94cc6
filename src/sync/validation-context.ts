import type { CatalogParam, PromiseOption } from "../contract/index.js";
import type { ReferenceRepo } from "../store/repos/reference-repo.js";
import type { ValidationContext } from "./product-validation.js";

/**
 * The §7 facts for one run, read from the reference store as validation first asks for them and
 * memoized: a run validates thousands of products against a few dozen catalogs.
 */
export async function createValidationContext(repo: ReferenceRepo, domains: readonly string[], bannedTerms: readonly string[]): Promise<ValidationContext> {
  const catalogs = new Map<string, Promise<{ interfaceCode: string; isLeaf: boolean } | undefined>>();
  const params = new Map<string, Promise<CatalogParam[]>>();
  const brands = new Map<string, Promise<boolean>>();
  const options = (await repo.allPromiseOptions()).filter((p) => p.required === 1);
  const required = new Map<string, PromiseOption[]>();
  /** The memoized answer for `key`, read once (a read under way is shared, not repeated). */
  const once = <T>(memo: Map<string, Promise<T>>, key: string, read: () => Promise<T>): Promise<T> => {
    let answer = memo.get(key);
    if (!answer) {
      answer = read();
      memo.set(key, answer);
      // A read that failed is not kept: the next product asks again.
      answer.catch(() => memo.delete(key));
    }
    return answer;
  };

  return {
    domains: domains.map((d) => d.toLowerCase()),
    bannedTerms,
    catalog: (id) =>
      once(catalogs, id, async () => {
        const row = await repo.catalogById(id);
        return row && row.retired === 0 ? { interfaceCode: row.interfaceCode, isLeaf: row.isLeaf === 1 } : undefined;
      }),
    params: (catalogId) =>
      once(params, catalogId, async () =>
        (await repo.paramsOfCatalog(catalogId)).map((r) => ({
          attributeID: r.attributeId,
          attributeName: r.attributeName,
          inputType: r.inputType as CatalogParam["inputType"],
          required: r.required === 1 ? 1 : 0,
          unit: r.unit,
          sort: r.sort,
          values: JSON.parse(r.valuesJson) as CatalogParam["values"],
        })),
      ),
    brandExists: (brandId) => once(brands, brandId, () => repo.brandExists(brandId)),
    requiredPromises(interfaceCode) {
      let list = required.get(interfaceCode);
      if (!list) {
        list = options
          .filter((o) => {
            const codes = JSON.parse(o.interfaceCodesJson) as string[];
            return codes.length === 0 || codes.includes(interfaceCode);
          })
          .map((o) => ({
            promiseType: o.promiseType as PromiseOption["promiseType"],
            promiseId: o.promiseId,
            promiseName: o.promiseName,
            promiseDesc: o.promiseDesc,
            needAttachment: o.needAttachment === 1 ? 1 : 0,
            required: 1,
            interfaceCodes: JSON.parse(o.interfaceCodesJson) as string[],
          }));
        required.set(interfaceCode, list);
      }
      return list;
    },
  };
}
