import { type Store, withTransaction } from "../store/database.js";
import type { ProductRepo, StockRow } from "../store/repos/product-repo.js";
import { LeaseLostError } from "./supplier-drain.js";
import type { SupplierClient } from "../supplier/supplier-client.js";
import type { RunJournal } from "./run-journal.js";

/** Stock of every on-shelf sku per configured area; the client splits the batch at 100 (§3). */
export async function refreshStock(deps: {
  store: Store;
  supplierId: number;
  client: SupplierClient;
  products: ProductRepo;
  journal: RunJournal;
  areas: readonly string[];
  clock: () => number;
  /** False once another runner holds the supplier's lease: nothing more is written. */
  keepLease: () => boolean;
}): Promise<void> {
  const skus = deps.products.onShelfSkus(deps.supplierId);
  if (skus.length === 0) return;
  for (const area of deps.areas) {
    if (!deps.keepLease()) throw new LeaseLostError("lease lost while refreshing stock");
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
    withTransaction(deps.store, () => {
      if (!deps.keepLease()) throw new LeaseLostError("lease lost while refreshing stock; not written");
      deps.products.saveStock(rows);
    });
    deps.journal.count("stock", "applied", rows.length);
  }
}
