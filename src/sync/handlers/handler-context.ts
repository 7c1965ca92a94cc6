import type { SupplierClient } from "../../supplier/supplier-client.js";
import type { ProductRepo } from "../../store/repos/product-repo.js";
import type { InboxRow } from "../../store/repos/sync-repo.js";
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

/** "商品不存在" from S-4/S-5: the sku left the supplier's pool; a removal message follows (§5). */
export function isUnknownSku(e: SupplierError): boolean {
  return e.kind === "refused" && e.detail.includes("不存在");
}
