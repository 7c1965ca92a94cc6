import type { SupplierClient } from "../../supplier/supplier-client.js";
import type { ProductRepo, ProductRow } from "../../store/repos/product-repo.js";
import type { InboxRow } from "../../store/repos/inbox-repo.js";
import type { ChunkResult } from "../chunk-commit.js";
import type { ValidationContext } from "../product-validation.js";
import type { SupplierError } from "../../supplier/supplier-error.js";

/** What every message handler works with: one supplier, one run. */
export type HandlerContext = {
  supplierId: number;
  runId: string;
  client: SupplierClient;
  products: ProductRepo;
  validation: ValidationContext;
  clock: () => number;
};

/**
 * Handles the due messages of one type for a group of ≤ 100 skus (one batch call each, §3),
 * oldest first per sku, and says what to store; it never writes.
 */
export type MessageHandler = (ctx: HandlerContext, rowsBySku: ReadonlyMap<string, InboxRow[]>) => Promise<ChunkResult>;

export function describeError(e: SupplierError): string {
  return `${e.endpoint}: ${e.kind}${e.code === undefined ? "" : ` ${e.code}`} ${e.detail}`.trim();
}

/**
 * "商品不存在" from S-4/S-5: the sku left the supplier's pool; a removal message follows (§5). Only a
 * signed refusal decides this (§2.3): an unsigned one is transient, retried later.
 */
export function isUnknownSku(e: SupplierError): boolean {
  return e.kind === "refused" && e.failureClass === "business" && e.detail.includes("不存在");
}

/** A failed settlement for a message whose call failed with `e`. */
export function failedWith(e: SupplierError): { outcome: "failed"; error: string; failureClass: SupplierError["failureClass"] } {
  return { outcome: "failed", error: describeError(e), failureClass: e.failureClass };
}

/**
 * Price and shelf messages (types 2 and 4) only update products the mall holds: the others are
 * settled as skipped with the reason, and the known skus come back with their stored rows.
 */
export async function splitKnown(
  ctx: HandlerContext,
  rowsBySku: ReadonlyMap<string, InboxRow[]>,
): Promise<{ known: string[]; priors: Map<string, ProductRow>; result: ChunkResult }> {
  const result: ChunkResult = { products: [], priceChanges: [], settlements: [] };
  const priors = await ctx.products.bySkus(ctx.supplierId, [...rowsBySku.keys()]);
  const known: string[] = [];
  for (const [sku, rows] of rowsBySku) {
    const prior = priors.get(sku);
    if (prior && prior.status !== "delisted") {
      known.push(sku);
      continue;
    }
    for (const row of rows) result.settlements.push({ row, outcome: "skipped", reasons: [{ code: 5099, field: "sku", message: "商品不在卖场商品库中" }] });
  }
  return { known, priors, result };
}

/** Every message of these skus failed with one batch call's error. */
export function failAll(result: ChunkResult, rowsBySku: ReadonlyMap<string, InboxRow[]>, skus: readonly string[], error: SupplierError): void {
  for (const sku of skus) for (const row of rowsBySku.get(sku) ?? []) result.settlements.push({ row, ...failedWith(error) });
}
