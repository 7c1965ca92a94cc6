import type { Container } from "../container.js";
import type { ProductRow } from "../store/repos/product-repo.js";
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

/** The reason is what the supplier reads on its portal: required to refuse, optional otherwise. */
export function changeListing(
  container: Container,
  supplierCode: string,
  sku: string,
  verb: ListingVerb,
  reason?: string,
): { before: ProductRow["listingState"]; after: ProductRow["listingState"] } {
  if (verb === "refuse" && !reason)
    throw new AdminError("invalid_input", "refusing a listing needs the reason the supplier will read", [
      { field: "body.note", message: "required to refuse" },
    ]);
  const supplier = container.repos.accounts.supplierByCode(supplierCode);
  if (!supplier) throw new AdminError("not_found", `no supplier with code ${supplierCode}`);
  const product = container.repos.products.bySku(supplier.id, sku);
  if (!product) throw new AdminError("not_found", `no product ${sku} of ${supplierCode}`);
  if (verb !== "refuse" && product.status !== "active") {
    throw new AdminError("conflict", `${sku} is ${product.status}; only a validated (active) product can be listed`);
  }
  const rule = rules[verb];
  if (!rule.from.includes(product.listingState)) {
    throw new AdminError("conflict", `${sku} is ${product.listingState}; ${verb} needs ${rule.from.join(" or ")}`);
  }
  if (!container.repos.products.setListingState(supplier.id, sku, product.listingState, rule.to, reason ?? null, container.clock())) {
    throw new AdminError("conflict", `${sku} changed while this was decided; reload and try again`);
  }
  return { before: product.listingState, after: rule.to };
}
