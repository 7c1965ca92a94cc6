import type { MessageType } from "../contract/index.js";
import type { Logger } from "../lib/logger.js";
import type { Store } from "../store/database.js";
import type { ProductRepo } from "../store/repos/product-repo.js";
import type { InboxRow, NewInboxMessage, SyncRepo } from "../store/repos/sync-repo.js";
import type { SupplierClient } from "../supplier/supplier-client.js";
import { commitChunk } from "./chunk-commit.js";
import { handleDetailChange } from "./handlers/detail-handler.js";
import type { HandlerContext, MessageHandler } from "./handlers/handler-context.js";
import { handlePoolChange } from "./handlers/pool-change-handler.js";
import { handlePriceChange } from "./handlers/price-handler.js";
import { handleShelfStateChange } from "./handlers/shelf-state-handler.js";
import type { ValidationContext } from "./product-validation.js";
import { type PullerSettings, SKUS_PER_CALL, TYPE_ORDER } from "./puller-settings.js";
import type { RunJournal } from "./run-journal.js";

const handlers: Record<MessageType, MessageHandler> = {
  6: handlePoolChange,
  16: handleDetailChange,
  2: handlePriceChange,
  4: handleShelfStateChange,
};

/** Applying rounds per type and run; each round settles or defers every message it looks at. */
const MAX_APPLY_ROUNDS = 100_000;

export type DrainDeps = {
  supplierId: number;
  store: Store;
  products: ProductRepo;
  sync: SyncRepo;
  client: SupplierClient;
  journal: RunJournal;
  validation: ValidationContext;
  settings: PullerSettings;
  clock: () => number;
  random: () => number;
  logger: Logger;
  /** Keeps the supplier's lease; false when it was lost, and the drain stops. */
  keepLease: () => boolean;
  onProgress?: (event: { phase: "pull" | "apply"; type: number; messages: number }) => void;
};

export class LeaseLostError extends Error {
  override readonly name = "LeaseLostError";
}

/**
 * One drain of one supplier (§6). Messages move from the supplier's pool into the inbox: a page
 * is stored (one transaction) before it is deleted (S-3), so nothing is lost; then the inbox is
 * applied, oldest first, ≤ 100 skus per group so every batch call is full.
 */
export async function drainSupplier(deps: DrainDeps): Promise<void> {
  await deleteLeftovers(deps);
  for (const type of TYPE_ORDER) await pullType(deps, type);
  for (const type of TYPE_ORDER) await applyType(deps, type);
}

/** Stored but undeleted after a crash between the two: safe to delete now. */
async function deleteLeftovers(deps: DrainDeps): Promise<void> {
  const ids = deps.sync.undeletedIds(deps.supplierId);
  if (ids.length === 0) return;
  const deleted = await deps.client.delMessagePool(ids);
  if (deleted.ok) deps.sync.markDeleted(deps.supplierId, ids, deps.clock());
  else deps.journal.error({ endpoint: deleted.error.endpoint, kind: deleted.error.kind, code: deleted.error.code, message: deleted.error.detail });
}

async function pullType(deps: DrainDeps, type: MessageType): Promise<void> {
  const { journal, supplierId } = deps;
  for (let page = 0; page < deps.settings.maxPagesPerType; page++) {
    if (!deps.keepLease()) throw new LeaseLostError("lease lost while pulling");
    const answer = await deps.client.getMessagePool(type);
    if (!answer.ok) {
      journal.error({ endpoint: answer.error.endpoint, kind: answer.error.kind, code: answer.error.code, message: answer.error.detail });
      return;
    }
    if (answer.value.length === 0) return;
    const messages = new Map<string, NewInboxMessage>();
    for (const m of answer.value) {
      messages.set(m.id, {
        messageId: m.id,
        type: m.type,
        sku: m.result.skuId,
        state: "state" in m.result ? m.result.state : null,
        payloadJson: JSON.stringify(m.result),
        messageTime: m.time,
      });
    }
    // §6: stored first; a store that fails throws here and nothing is deleted.
    deps.sync.storeMessages(supplierId, [...messages.values()], journal.runId, deps.clock());
    journal.count(type, "received", messages.size);
    deps.onProgress?.({ phase: "pull", type, messages: messages.size });
    const ids = [...messages.keys()];
    const deleted = await deps.client.delMessagePool(ids);
    if (!deleted.ok) {
      // The page would come back first again; the leftovers step deletes it next run.
      journal.error({ endpoint: deleted.error.endpoint, kind: deleted.error.kind, code: deleted.error.code, message: deleted.error.detail });
      return;
    }
    deps.sync.markDeleted(supplierId, ids, deps.clock());
  }
  deps.logger.warn({ event: "sync.pull.page_cap", type, pages: deps.settings.maxPagesPerType }, "page cap reached; the rest waits for the next run");
}

async function applyType(deps: DrainDeps, type: MessageType): Promise<void> {
  const ctx: HandlerContext = {
    supplierId: deps.supplierId,
    runId: deps.journal.runId,
    client: deps.client,
    products: deps.products,
    validation: deps.validation,
    clock: deps.clock,
  };
  for (let round = 0; round < MAX_APPLY_ROUNDS; round++) {
    if (!deps.keepLease()) throw new LeaseLostError("lease lost while applying");
    const now = deps.clock();
    const skus = deps.sync.dueSkus(deps.supplierId, type, now, SKUS_PER_CALL);
    if (skus.length === 0) return;
    const rowsBySku = new Map<string, InboxRow[]>();
    for (const row of deps.sync.dueRowsForSkus(deps.supplierId, type, skus, now)) {
      const list = rowsBySku.get(row.sku);
      if (list) list.push(row);
      else rowsBySku.set(row.sku, [row]);
    }
    const startedAt = deps.clock();
    const result = await handlers[type](ctx, rowsBySku);
    // A round can outlast the lease; if another runner took it meanwhile, it is applying these same
    // messages, so this one must write nothing (exactly once, and no older read over a newer one).
    commitChunk({ ...deps, supplierId: deps.supplierId }, result, startedAt, () => {
      if (!deps.keepLease()) throw new LeaseLostError("lease lost while applying; chunk not committed");
    });
    deps.onProgress?.({ phase: "apply", type, messages: result.settlements.length });
  }
  deps.logger.warn({ event: "sync.apply.round_cap", type }, "apply round cap reached");
}
