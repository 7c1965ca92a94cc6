import { changedRow } from "../product-record.js";
import { type MessageHandler, failAll, splitKnown } from "./handler-context.js";

/** Type 4 (§6): one S-7 batch for the group gives each sku's shelf state (1 上架 / 0 下架). */
export const handleShelfStateChange: MessageHandler = async (ctx, rowsBySku) => {
  const { known, priors, result } = await splitKnown(ctx, rowsBySku);
  if (known.length === 0) return result;
  const states = await ctx.client.shelfStates(known);
  if (!states.ok) {
    failAll(result, rowsBySku, known, states.error);
    return result;
  }
  const bySku = new Map(states.value.map((s) => [s.sku, s.state]));
  const now = ctx.clock();
  for (const sku of known) {
    const rows = rowsBySku.get(sku) ?? [];
    const prior = priors.get(sku);
    const state = bySku.get(sku);
    if (!prior || state === undefined) {
      for (const row of rows)
        result.settlements.push({ row, outcome: "skipped", reasons: [{ code: 5099, field: "sku", message: "供应商上下架接口未返回该商品" }] });
      continue;
    }
    result.products.push(
      changedRow(
        prior,
        { shelfState: state, shelfReadAt: now },
        rows.map((r) => r.messageId),
        now,
      ),
    );
    for (const row of rows) result.settlements.push({ row, outcome: "applied", reasons: [] });
  }
  return result;
};
