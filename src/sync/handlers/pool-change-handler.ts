import type { ChunkResult } from "../chunk-commit.js";
import { changedRow, snapshotOf } from "../product-record.js";
import type { MessageHandler } from "./handler-context.js";
import { fetchProducts } from "./product-fetch.js";

/**
 * Type 6 (§6): per sku the newest message decides. State 1 (added): the full S-4…S-10 read,
 * validate, store. State 2 (removed): delist, keeping the product's history.
 */
export const handlePoolChange: MessageHandler = async (ctx, rowsBySku) => {
  const priors = await ctx.products.bySkus(ctx.supplierId, [...rowsBySku.keys()]);
  const now = ctx.clock();
  const removed: ChunkResult = { products: [], priceChanges: [], settlements: [] };
  const added: Array<Parameters<typeof fetchProducts>[1][number]> = [];
  for (const [sku, rows] of rowsBySku) {
    const newest = rows[rows.length - 1];
    const prior = priors.get(sku);
    if (newest?.state === 2) {
      if (prior) {
        removed.products.push(
          changedRow(
            prior,
            { status: "delisted", shelfState: 0 },
            rows.map((r) => r.messageId),
            now,
          ),
        );
        for (const row of rows) removed.settlements.push({ row, outcome: "applied", reasons: [] });
      } else {
        for (const row of rows) removed.settlements.push({ row, outcome: "skipped", reasons: [{ code: 5099, field: "sku", message: "商品不在卖场商品库中" }] });
      }
    } else {
      added.push({ sku, rows, prior, full: true, prior_snapshot: prior ? snapshotOf(prior) : null });
    }
  }
  const fetched = added.length > 0 ? await fetchProducts(ctx, added) : { products: [], priceChanges: [], settlements: [] };
  return {
    products: [...removed.products, ...fetched.products],
    priceChanges: fetched.priceChanges,
    settlements: [...removed.settlements, ...fetched.settlements],
  };
};
