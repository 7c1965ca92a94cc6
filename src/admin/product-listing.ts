import type { AccountRepo } from "../store/repos/account-repo.js";
import type { ProductRepo, ProductRow } from "../store/repos/product-repo.js";
import type { Transaction } from "../store/sql/sql-store.js";
import { AdminError } from "./admin-errors.js";

export type ListingVerb = "apply" | "approve" | "refuse";

/**
 * 申请上架 (seed §5.1 step 3): a validated, active product is applied for listing; an administrator
 * approves or refuses it. A refused product may be applied again once the supplier fixed it.
 */
const rules: Record<ListingVerb, { from: ReadonlyArray<ProductRow["listingState"]>; to: ProductRow["listingState"] }> = {
  apply: { from: ["none", "refused"], to: "applied" },
  approve: { from: ["applied"], to: "approved" },
  refuse: { from: ["applied"], to: "refused" },
};

/** Where a listing change reads the product and writes its new state. */
export type ListingDeps = {
  accounts: Pick<AccountRepo, "supplierByCode">;
  products: Pick<ProductRepo, "bySku" | "setListingState">;
  clock: () => number;
};

/**
 * The reason is what the supplier reads on its portal: required to refuse, optional otherwise. The
 * new state is written in `tx` (the caller's, with its audit row); the product is read through it
 * first, and the write lands only if the state is still the one read.
 */
export async function changeListing(
  deps: ListingDeps,
  tx: Transaction,
  supplierCode: string,
  sku: string,
  verb: ListingVerb,
  reason?: string,
): Promise<{ before: ProductRow["listingState"]; after: ProductRow["listingState"] }> {
  if (verb === "refuse" && !reason)
    throw new AdminError("invalid_input", "refusing a listing needs the reason the supplier will read", [
      { field: "body.note", message: "required to refuse" },
    ]);
  const supplier = await deps.accounts.supplierByCode(supplierCode, tx);
  if (!supplier) throw new AdminError("not_found", `no supplier with code ${supplierCode}`);
  const product = await deps.products.bySku(supplier.id, sku, tx);
  if (!product) throw new AdminError("not_found", `no product ${sku} of ${supplierCode}`);
  if (verb !== "refuse" && product.status !== "active") {
    throw new AdminError("conflict", `${sku} is ${product.status}; only a validated (active) product can be listed`);
  }
  const rule = rules[verb];
  if (!rule.from.includes(product.listingState)) {
    throw new AdminError("conflict", `${sku} is ${product.listingState}; ${verb} needs ${rule.from.join(" or ")}`);
  }
  if (!(await deps.products.setListingState(tx, supplier.id, sku, product.listingState, rule.to, reason ?? null, deps.clock()))) {
    throw new AdminError("conflict", `${sku} changed while this was decided; reload and try again`);
  }
  return { before: product.listingState, after: rule.to };
}
