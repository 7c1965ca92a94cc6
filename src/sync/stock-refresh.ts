import type { Store } from "../store/database.js";
import type { SqlRunner } from "../store/sql/sql-store.js";
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
  keepLease: () => Promise<boolean>;
  /** The lease, read inside the write's own transaction: false when it names another runner. */
  fenceLease: (tx: SqlRunner) => Promise<boolean>;
}): Promise<void> {
  const skus = await deps.products.onShelfSkus(deps.supplierId);
  if (skus.length === 0) return;
  for (const area of deps.areas) {
    if (!(await deps.keepLease())) throw new LeaseLostError("lease lost while refreshing stock");
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
    await deps.store.sql.transaction(async (tx) => {
      if (!(await deps.fenceLease(tx))) throw new LeaseLostError("lease lost while refreshing stock; not written");
      await deps.products.saveStock(rows, tx);
    });
    deps.journal.count("stock", "applied", rows.length);
  }
}
