import type { z } from "zod";
import type { MallOperationName, PlatformInfo, mallOperations } from "../contract/index.js";
import type { ReferenceAnswer, ReferenceService } from "../catalog/reference-service.js";
import type { AccountRepo, AccountRow } from "../store/repos/account-repo.js";

type Input<N extends Exclude<MallOperationName, "token">> = z.output<(typeof mallOperations)[N]["request"]>;

/** M-2…M-7: each takes its validated input and the calling account, and answers one envelope. */
export type MallCalls = { [N in Exclude<MallOperationName, "token">]: (input: Input<N>, account: AccountRow) => ReferenceAnswer | Promise<ReferenceAnswer> };

export function createMallCalls(deps: { reference: ReferenceService; accounts: AccountRepo; platform: { code: string; name: string } }): MallCalls {
  const { reference } = deps;
  return {
    platformInfo: async (_input, account) => {
      const supplier = await deps.accounts.supplierById(account.supplierId);
      const info: PlatformInfo = {
        platformCode: deps.platform.code,
        platformName: deps.platform.name,
        supplierCode: supplier?.code ?? "",
        supplierName: supplier?.name ?? "",
      };
      return { ok: true, json: JSON.stringify(info) };
    },
    catalogs: (input) => reference.catalogs(input.parentId),
    regionPromise: (input) => reference.promises(input.regionCode),
    catalogParams: (input) => reference.catalogParams(input),
    areas: (input) => reference.areas(input.parentCode),
    brands: (input) => reference.brands(input),
  };
}
