import type { ProductAttribute, ProductDetail } from "../../contract/index.js";
import type { ProductRow } from "../../store/repos/product-repo.js";
import type { InboxRow } from "../../store/repos/inbox-repo.js";
import type { ChunkResult, Fate, Settlement } from "../chunk-commit.js";
import { productRow } from "../product-record.js";
import { type ProductSnapshot, validateProduct } from "../product-validation.js";
import { type HandlerContext, failedWith, isUnknownSku } from "./handler-context.js";

type Fetched = { sku: string; detail: ProductDetail; attributes: ProductAttribute[] };

/**
 * S-4 and S-5 for each sku (one sku per call, §3), then — when `full` — S-6, S-7, S-9, S-10 as
 * batches (seed order), validate (§7) and build the rows; otherwise keep the stored promise,
 * image and price parts (type 16 changes detail and parameters only).
 */
export async function fetchProducts(
  ctx: HandlerContext,
  work: ReadonlyArray<{ sku: string; rows: InboxRow[]; prior: ProductRow | undefined; full: boolean; prior_snapshot?: ProductSnapshot | null }>,
): Promise<ChunkResult> {
  const settlements: Settlement[] = [];
  const settleAll = (rows: InboxRow[], fate: Fate) => {
    for (const row of rows) settlements.push({ row, ...fate });
  };

  const fetched = await Promise.all(
    work.map(async (w) => {
      const [detail, attributes] = await Promise.all([ctx.client.detail(w.sku), ctx.client.attributes(w.sku)]);
      if (!detail.ok || !attributes.ok) {
        const error = !detail.ok ? detail.error : !attributes.ok ? attributes.error : null;
        // Withheld by the run's stop: nothing was asked, so its messages stay pending as they were.
        if (error?.unsent) return null;
        if (error && isUnknownSku(error))
          settleAll(w.rows, { outcome: "skipped", reasons: [{ code: error.code ?? 5099, field: "sku", message: `供应商称商品不存在: ${error.detail}` }] });
        else if (error) settleAll(w.rows, failedWith(error));
        return null;
      }
      return { sku: w.sku, detail: detail.value, attributes: attributes.value } satisfies Fetched;
    }),
  );
  const ready = work.flatMap((w, i) => {
    const f = fetched[i];
    return f ? [{ ...w, fetched: f }] : [];
  });

  const fullSkus = ready.filter((r) => r.full).map((r) => r.sku);
  let batch: { promises: Map<string, unknown>; shelf: Map<string, number>; images: Map<string, unknown>; prices: Map<string, unknown> } | null = null;
  if (fullSkus.length > 0) {
    const promises = await ctx.client.promises(fullSkus);
    const shelf = promises.ok ? await ctx.client.shelfStates(fullSkus) : null;
    const images = shelf?.ok ? await ctx.client.images(fullSkus) : null;
    const prices = images?.ok ? await ctx.client.prices(fullSkus) : null;
    const failed = !promises.ok
      ? promises.error
      : shelf && !shelf.ok
        ? shelf.error
        : images && !images.ok
          ? images.error
          : prices && !prices.ok
            ? prices.error
            : null;
    if (failed || !shelf?.ok || !images?.ok || !prices?.ok || !promises.ok) {
      const fate: Fate = failed ? failedWith(failed) : { outcome: "failed", error: "batch call failed", failureClass: "transient" };
      for (const r of ready.filter((x) => x.full)) settleAll(r.rows, fate);
    } else {
      batch = {
        promises: new Map(promises.value.map((p) => [p.sku, p])),
        shelf: new Map(shelf.value.map((s) => [s.sku, s.state])),
        images: new Map(images.value.map((i) => [i.sku, i])),
        prices: new Map(prices.value.map((p) => [p.sku, p])),
      };
    }
  }

  const now = ctx.clock();
  const result: ChunkResult = { products: [], priceChanges: [], settlements };
  for (const r of ready) {
    if (r.full && !batch) continue;
    const stored = r.prior_snapshot ?? null;
    const snapshot: ProductSnapshot = {
      detail: r.fetched.detail,
      attributes: r.fetched.attributes,
      promise: r.full ? (batch?.promises.get(r.sku) as ProductSnapshot["promise"]) : stored?.promise,
      images: r.full ? (batch?.images.get(r.sku) as ProductSnapshot["images"]) : stored?.images,
      price: r.full ? (batch?.prices.get(r.sku) as ProductSnapshot["price"]) : stored?.price,
    };
    const reasons = await validateProduct(snapshot, ctx.validation);
    const shelfState = r.full ? (batch?.shelf.get(r.sku) ?? r.fetched.detail.state) : (r.prior?.shelfState ?? r.fetched.detail.state);
    const row = productRow({
      supplierId: ctx.supplierId,
      sku: r.sku,
      snapshot,
      shelfState,
      reasons,
      prior: r.prior,
      messageIds: r.rows.map((m) => m.messageId),
      now,
      read: { detail: true, price: r.full, shelf: r.full },
    });
    result.products.push(row);
    if (row.priceFen !== null && row.mallPriceFen !== null && (r.prior?.priceFen !== row.priceFen || r.prior?.mallPriceFen !== row.mallPriceFen)) {
      result.priceChanges.push({ supplierId: ctx.supplierId, sku: r.sku, priceFen: row.priceFen, mallPriceFen: row.mallPriceFen, at: now, runId: ctx.runId });
    }
    settleAll(r.rows, reasons.length > 0 ? { outcome: "rejected", reasons } : { outcome: "applied", reasons: [] });
  }
  return result;
}
