import type { CatalogParam, PromiseOption } from "../contract/index.js";
import type { ReferenceRepo } from "../store/repos/reference-repo.js";
import type { ValidationContext } from "./product-validation.js";

/**
 * The §7 facts for one run, read once from the reference store and memoized: a run validates
 * thousands of products against a few dozen catalogs.
 */
export function createValidationContext(repo: ReferenceRepo, domains: readonly string[], bannedTerms: readonly string[]): ValidationContext {
  const catalogs = new Map<string, { interfaceCode: string; isLeaf: boolean } | undefined>();
  const params = new Map<string, CatalogParam[]>();
  const brands = new Map<string, boolean>();
  const options = repo.allPromiseOptions().filter((p) => p.required === 1);
  const required = new Map<string, PromiseOption[]>();

  return {
    domains: domains.map((d) => d.toLowerCase()),
    bannedTerms,
    catalog(id) {
      if (!catalogs.has(id)) {
        const row = repo.catalogById(id);
        catalogs.set(id, row && row.retired === 0 ? { interfaceCode: row.interfaceCode, isLeaf: row.isLeaf === 1 } : undefined);
      }
      return catalogs.get(id);
    },
    params(catalogId) {
      let list = params.get(catalogId);
      if (!list) {
        list = repo.paramsOfCatalog(catalogId).map((r) => ({
          attributeID: r.attributeId,
          attributeName: r.attributeName,
          inputType: r.inputType as CatalogParam["inputType"],
          required: r.required === 1 ? 1 : 0,
          unit: r.unit,
          sort: r.sort,
          values: JSON.parse(r.valuesJson) as CatalogParam["values"],
        }));
        params.set(catalogId, list);
      }
      return list;
    },
    brandExists(brandId) {
      let known = brands.get(brandId);
      if (known === undefined) {
        known = repo.brandExists(brandId);
        brands.set(brandId, known);
      }
      return known;
    },
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
