import type { ChunkResult } from "../chunk-commit.js";
import { snapshotOf } from "../product-record.js";
import type { MessageHandler } from "./handler-context.js";
import { fetchProducts } from "./product-fetch.js";

/**
 * Type 16 (§6): S-4 + S-5, validate with the stored promises, images and price, store.
 * A sku the mall never stored gets the full read instead; a delisted one stays delisted.
 * A rejected one gets the full read too: type 16 is how a supplier announces its fix (§6), and the
 * defect may sit in images or promises, which S-4 + S-5 do not show.
 */
export const handleDetailChange: MessageHandler = async (ctx, rowsBySku) => {
  const priors = await ctx.products.bySkus(ctx.supplierId, [...rowsBySku.keys()]);
  const skipped: ChunkResult = { products: [], priceChanges: [], settlements: [] };
  const work: Array<Parameters<typeof fetchProducts>[1][number]> = [];
  for (const [sku, rows] of rowsBySku) {
    const prior = priors.get(sku);
    if (prior?.status === "delisted") {
      for (const row of rows) skipped.settlements.push({ row, outcome: "skipped", reasons: [{ code: 5099, field: "sku", message: "商品已移出商品池" }] });
      continue;
    }
    const snapshot = prior ? snapshotOf(prior) : null;
    work.push({ sku, rows, prior, full: snapshot === null || prior?.status === "rejected", prior_snapshot: snapshot });
  }
  const fetched = work.length > 0 ? await fetchProducts(ctx, work) : skipped;
  return work.length > 0 ? { ...fetched, settlements: [...skipped.settlements, ...fetched.settlements] } : skipped;
};
