import { yuanToFen } from "../../contract/index.js";
import { changedRow, snapshotOf } from "../product-record.js";
import { validateProduct } from "../product-validation.js";
import { type MessageHandler, failAll, splitKnown } from "./handler-context.js";

/**
 * Type 2 (§6): the message's prices are hints only; one S-10 batch for the group gives the
 * truth, re-validated against the price rules of §7. Unchanged prices write nothing new.
 */
export const handlePriceChange: MessageHandler = async (ctx, rowsBySku) => {
  const { known, priors, result } = await splitKnown(ctx, rowsBySku);
  if (known.length === 0) return result;
  const prices = await ctx.client.prices(known);
  if (!prices.ok) {
    failAll(result, rowsBySku, known, prices.error);
    return result;
  }
  const bySku = new Map(prices.value.map((p) => [p.sku, p]));
  const now = ctx.clock();
  for (const sku of known) {
    const rows = rowsBySku.get(sku) ?? [];
    const prior = priors.get(sku);
    const price = bySku.get(sku);
    if (!prior || !price) {
      for (const row of rows)
        result.settlements.push({ row, outcome: "skipped", reasons: [{ code: 5099, field: "sku", message: "供应商价格接口未返回该商品" }] });
      continue;
    }
    const snapshot = snapshotOf(prior);
    const reasons = snapshot ? await validateProduct({ ...snapshot, price }, ctx.validation) : [];
    const priceFen = yuanToFen(price.price);
    const mallPriceFen = yuanToFen(price.mall_price);
    const marketPriceFen = price.market_price === undefined ? null : yuanToFen(price.market_price);
    result.products.push(
      changedRow(
        prior,
        {
          priceFen,
          mallPriceFen,
          marketPriceFen,
          priceReadAt: now,
          status: reasons.length > 0 ? "rejected" : "active",
          rejectionJson: JSON.stringify(reasons),
        },
        rows.map((r) => r.messageId),
        now,
      ),
    );
    if (priceFen !== null && mallPriceFen !== null && (prior.priceFen !== priceFen || prior.mallPriceFen !== mallPriceFen)) {
      result.priceChanges.push({ supplierId: ctx.supplierId, sku, priceFen, mallPriceFen, at: now, runId: ctx.runId });
    }
    for (const row of rows) result.settlements.push(reasons.length > 0 ? { row, outcome: "rejected", reasons } : { row, outcome: "applied", reasons: [] });
  }
  return result;
};
