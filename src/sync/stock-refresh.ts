import type { ProductRepo, StockRow } from "../store/repos/product-repo.js";
import type { SupplierClient } from "../supplier/supplier-client.js";
import type { RunJournal } from "./run-journal.js";

/** Stock of every on-shelf sku per configured area; the client splits the batch at 100 (§3). */
export async function refreshStock(deps: {
  supplierId: number;
  client: SupplierClient;
  products: ProductRepo;
  journal: RunJournal;
  areas: readonly string[];
  clock: () => number;
}): Promise<void> {
  const skus = deps.products.onShelfSkus(deps.supplierId);
  if (skus.length === 0) return;
  for (const area of deps.areas) {
    const answer = await deps.client.stocks(skus, area);
    if (!answer.ok) {
      deps.journal.error({ endpoint: answer.error.endpoint, kind: answer.error.kind, code: answer.error.code, message: answer.error.detail });
      continue;
    }
    const now = deps.clock();
    const rows: StockRow[] = answer.value.map((s) => ({
      supplierId: deps.supplierId,
      sku: s.sku,
      area,
      num: s.num,
      stockStateId: s.stockStateId ?? null,
      description: s.desc,
      checkedAt: now,
    }));
    deps.products.saveStock(rows);
    deps.journal.count("stock", "applied", rows.length);
  }
}
