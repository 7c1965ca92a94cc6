import { createHash } from "node:crypto";
import { setImmediate } from "node:timers/promises";
import {
  ErrorCode,
  type MessageType,
  type ParseReason,
  type UnparseableMessage,
  deletableIdOf,
  formatParseReason,
  parsePoolMessage,
} from "../contract/index.js";
import type { Logger } from "../lib/logger.js";
import type { Store } from "../store/database.js";
import type { SqlRunner } from "../store/sql/sql-store.js";
import type { ProductRepo } from "../store/repos/product-repo.js";
import type { CallLogRepo } from "../store/repos/call-log-repo.js";
import type { InboxRepo, InboxRow, NewInboxMessage, NewUnparseableMessage } from "../store/repos/inbox-repo.js";
import type { MessageLogRepo } from "../store/repos/message-log-repo.js";
import type { SupplierClient } from "../supplier/supplier-client.js";
import type { SupplierError } from "../supplier/supplier-error.js";
import { type ChunkResult, type Settlement, commitChunk } from "./chunk-commit.js";
import { handleDetailChange } from "./handlers/detail-handler.js";
import type { HandlerContext, MessageHandler } from "./handlers/handler-context.js";
import { handlePoolChange } from "./handlers/pool-change-handler.js";
import { handlePriceChange } from "./handlers/price-handler.js";
import { handleShelfStateChange } from "./handlers/shelf-state-handler.js";
import type { ValidationContext } from "./product-validation.js";
import { type PullerSettings, SKUS_PER_CALL, TYPE_ORDER } from "./puller-settings.js";
import type { PullStep } from "./pull-progress.js";
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
  inbox: InboxRepo;
  messageLogs: MessageLogRepo;
  callLogs: CallLogRepo;
  client: SupplierClient;
  journal: RunJournal;
  validation: ValidationContext;
  settings: PullerSettings;
  clock: () => number;
  random: () => number;
  logger: Logger;
  /** Keeps the supplier's lease between steps; false when it was lost, and the drain stops. */
  keepLease: () => Promise<boolean>;
  /**
   * Inside a commit's transaction, through its handle: true if the lease row still names this run,
   * else false and the commit writes nothing (with several instances, the row read in the commit's
   * own transaction is what keeps a runner whose lease was taken over from landing).
   */
  fenceLease: (tx: SqlRunner) => Promise<boolean>;
  onProgress?: (step: PullStep) => void;
};

export class LeaseLostError extends Error {
  override readonly name = "LeaseLostError";
}

/** Our side of the docking is wrong (signature, platformCode, credentials): the run stops, it does not churn. */
export class SupplierConfigurationError extends Error {
  override readonly name = "SupplierConfigurationError";
}

/** Stops the run on a configuration failure; any other failure is the caller's to handle. */
function stopOnConfiguration(error: SupplierError): void {
  if (error.failureClass === "configuration")
    throw new SupplierConfigurationError(`${error.endpoint}: ${error.kind}${error.code === undefined ? "" : ` ${error.code}`} ${error.detail}`);
}

const recordError = (journal: RunJournal, e: SupplierError) => journal.error({ endpoint: e.endpoint, kind: e.kind, code: e.code, message: e.detail });

/**
 * One drain of one supplier (§6). Messages move from the supplier's pool into the inbox: a page
 * is stored (one transaction) before it is deleted (S-3), so nothing is lost; then the inbox is
 * applied, oldest first, ≤ 100 skus per group so every batch call is full.
 *
 * Each type's pool is its own queue, so the four types are pulled at once. A type is applied once
 * its own pool is drained (so every message of a sku is settled by one read, the §3 minimum of
 * calls) and the types before it in §6 order are applied (products first, so price and shelf
 * messages find them): applying type 6 overlaps with pulling the others.
 */
export async function drainSupplier(deps: DrainDeps): Promise<void> {
  await deleteLeftovers(deps);
  await reparseReplayed(deps);
  const halt = new Halt();
  // The first page read goes out alone: when the supplier refuses our configuration (5013, a
  // signature), the run stops after that one call instead of four.
  const [first, ...rest] = TYPE_ORDER;
  let opened: () => void = () => undefined;
  const firstAnswer = new Promise<void>((resolve) => (opened = resolve));
  const firstPull = halt.guard(() => pullType(deps, first, halt, opened)).finally(() => opened());
  const pulls = [firstPull, ...rest.map((type) => firstAnswer.then(() => halt.guard(() => pullType(deps, type, halt))))];
  // Each apply waits for its own pull and the apply before it, and guard never rejects: the last
  // apply settles after every pull and every apply.
  let applied: Promise<void> = Promise.resolve();
  TYPE_ORDER.forEach((type, i) => {
    applied = Promise.all([applied, pulls[i]]).then(() => halt.guard(() => applyType(deps, type, halt)));
  });
  await applied;
  halt.rethrow();
}

/**
 * The first failure that ends a drain (a lost lease, our configuration refused). Whatever else is
 * under way finishes its current step and starts nothing new; the drain then ends with that failure.
 */
class Halt {
  private failure: { error: unknown } | null = null;
  get halted(): boolean {
    return this.failure !== null;
  }
  async guard(work: () => Promise<void>): Promise<void> {
    if (this.failure) return;
    try {
      await work();
    } catch (error) {
      this.fail(error);
    }
  }
  fail(error: unknown): void {
    this.failure ??= { error };
  }
  rethrow(): void {
    if (this.failure) throw this.failure.error;
  }
}

/** Stored but undeleted after a crash between the two: safe to delete now. */
async function deleteLeftovers(deps: DrainDeps): Promise<void> {
  const ids = await deps.inbox.undeletedIds(deps.supplierId);
  if (ids.length === 0) return;
  const deleted = await deps.client.delMessagePool(ids);
  if (deleted.ok) return deps.inbox.markDeleted(deps.supplierId, ids, deps.clock());
  stopOnConfiguration(deleted.error);
  recordError(deps.journal, deleted.error);
}

async function pullType(deps: DrainDeps, type: MessageType, halt: Halt, answered: () => void = () => undefined): Promise<void> {
  // The previous page's superseding runs while the next page is read and stored, and its ids are
  // marked deleted by that page's store: the chain each page waits on is S-2, the store and S-3. One
  // page's settling at most is in flight, and the pull ends only once the last one has landed.
  const carry: PageCarry = { settling: Promise.resolve(), deleted: [] };
  const markLastDeleted = async () => {
    if (carry.deleted.length > 0) await deps.inbox.markDeleted(deps.supplierId, carry.deleted, deps.clock());
  };
  try {
    await pullPages(deps, type, halt, answered, carry);
  } catch (e) {
    // The pull's own failure (a lost lease, our configuration refused) is the one the run reports;
    // ids left unmarked are deleted again by the next run's leftovers step.
    await carry.settling.catch(() => undefined);
    await markLastDeleted().catch(() => undefined);
    throw e;
  }
  await carry.settling;
  await markLastDeleted();
}

/**
 * What a page leaves to the next: its settling (superseded messages), running while the next page
 * is read and stored, and its ids, which S-3 deleted and the next page's store marks (or the pull's
 * end, after the last page).
 */
type PageCarry = { settling: Promise<void>; deleted: readonly string[] };

async function pullPages(deps: DrainDeps, type: MessageType, halt: Halt, answered: () => void, carry: PageCarry): Promise<void> {
  const { journal, supplierId } = deps;
  for (let page = 0; page < deps.settings.maxPagesPerType; page++) {
    if (halt.halted) return;
    if (!(await deps.keepLease())) throw new LeaseLostError("lease lost while pulling");
    const answer = await deps.client.readMessagePool(type);
    if (!answer.ok) stopOnConfiguration(answer.error);
    if (!answer.ok) {
      answered();
      // A page that is no array at all (or not signed, or cut off) holds nothing to store or delete:
      // this type waits for the next run; the other types go on.
      recordError(journal, answer.error);
      if (answer.error.failureClass === "malformed")
        deps.logger.warn({ event: "sync.pull.malformed_page", type, field: answer.error.field }, "message pool page breaks the contract");
      return;
    }
    const { messages, unparseable } = answer.value;
    if (messages.length === 0 && unparseable.length === 0) return answered();
    const parsed = new Map<string, NewInboxMessage>();
    for (const m of messages) {
      parsed.set(m.id, {
        messageId: m.id,
        type: m.type,
        sku: m.result.skuId,
        state: "state" in m.result ? m.result.state : null,
        payloadJson: JSON.stringify(m.result),
        messageTime: m.time,
      });
    }
    const rawRows = unparseable.map((u) => unparseableRow(type, u));
    const now = deps.clock();
    // §6: stored first, durably; a store that fails throws here and nothing is deleted.
    const deletedBefore = carry.deleted;
    // An id S-3 deleted a moment ago, served again: the supplier reused it for a new message. The
    // previous page's superseding lands first, so the store sees the old message as it would have
    // without the overlap (settled and deleted) and stores the new one anew.
    if (deletedBefore.length > 0) {
      const just = new Set(deletedBefore);
      if ([...parsed.keys(), ...rawRows.map((r) => r.messageId)].some((id) => just.has(id))) await carry.settling;
    }
    const page = { messages: [...parsed.values()], unparseable: rawRows, deletedBefore };
    const stored = await deps.inbox.storePage(supplierId, page, journal.runId, now, (tx, stored) => {
      const quarantined = rawRows.filter((r) => stored.has(r.messageId));
      return deps.messageLogs.logMessages(
        quarantined.map((r) => ({
          runId: journal.runId,
          supplierId,
          messageId: r.messageId,
          type,
          sku: r.sku,
          outcome: "quarantined" as const,
          reasonsJson: JSON.stringify([{ code: ErrorCode.Other, field: r.reason.field, message: r.reason.rule }]),
          durationMs: 0,
          callSeqsJson: JSON.stringify(journal.callSeqsFor(r.sku, r.messageId)),
          at: now,
        })),
        tx,
      );
    });
    carry.deleted = [];
    const quarantined = rawRows.filter((r) => stored.has(r.messageId));
    for (const r of quarantined)
      deps.logger.warn(
        { event: "sync.message.unparseable", type, messageId: r.messageId, field: r.reason.field, rule: r.reason.rule },
        "message quarantined unparsed",
      );
    journal.count(type, "received", parsed.size + rawRows.length);
    if (quarantined.length > 0) journal.count(type, "quarantined", quarantined.length);
    const ids = [...parsed.keys(), ...rawRows.filter((r) => r.deletable).map((r) => r.messageId)];
    const deleting = ids.length > 0 ? deps.client.delMessagePool(ids) : null;
    // The other types' first reads go out once this first page is stored and its S-3 is on its way:
    // a supplier whose pools share one id counter sees the first page deleted before anything else.
    answered();
    // The previous page's settling ran beside this page's read and store; its failure ends the pull
    // here, but not before this page's S-3 has answered: its call is the run's to log.
    try {
      await carry.settling;
    } catch (e) {
      await deleting?.catch(() => undefined);
      throw e;
    }
    // While S-3 is on its way (the page is on disk already), older messages this page's newer ones
    // replace are settled. Nothing depends on it before the delete: lost in a crash, they are applied instead.
    const superseding = (async () => {
      if (!SUPERSEDED_BY_NEWER.has(type) || parsed.size === 0) return 0;
      await setImmediate();
      const superseded = await supersede(deps, type, parsed, deps.clock());
      if (superseded > 0) journal.count(type, "skipped", superseded);
      return superseded;
    })();
    // Awaited below once S-3 has answered; a failure while S-3 is on its way is not left unhandled.
    superseding.catch(() => undefined);
    // Quarantined on arrival, or older messages a newer one of their sku replaced: none of these is left to apply.
    const progress = (superseded: number) =>
      deps.onProgress?.({ phase: "pull", type, messages: parsed.size + rawRows.length - quarantined.length - superseded });
    if (!deleting) {
      progress(await superseding);
      // Nothing S-3 can take: the same page would come back first for ever. Only the supplier can fix it.
      journal.error({ kind: "contract", message: `type ${type}: a page of ${rawRows.length} messages without an id S-3 can delete` });
      deps.logger.error({ event: "sync.pull.undeletable_page", type, messages: rawRows.length }, "message pool page cannot be deleted");
      return;
    }
    // A failed supersede ends the drain, but not before S-3 has answered: its call is the run's to log.
    const deleted = await deleting;
    if (!deleted.ok) {
      progress(await superseding);
      stopOnConfiguration(deleted.error);
      // The page would come back first again; the leftovers step deletes it next run.
      recordError(journal, deleted.error);
      return;
    }
    // Deleted at the supplier: the next page can be read while this one's superseding lands. Its ids
    // are marked deleted by the next page's store, in the same transaction, before that page's rows
    // (a reused id is then known as deleted); lost in a crash, the next run's leftovers step deletes
    // them again, as after a crash before S-3 (the kit certifies that a supplier takes a delete of an
    // id it no longer holds).
    carry.deleted = ids;
    carry.settling = superseding.then(progress);
    // Awaited at the next page or the pull's end; a failure meanwhile is not left unhandled.
    carry.settling.catch(() => undefined);
  }
  deps.logger.warn({ event: "sync.pull.page_cap", type, pages: deps.settings.maxPagesPerType }, "page cap reached; the rest waits for the next run");
}

/**
 * Types whose handler reads the sku's current state from the supplier (S-10 prices, S-7 shelf
 * state, S-4/S-5 detail) whatever the message says: of a sku's pending messages only the newest
 * needs applying. Not type 6, whose add or remove is the message's own content.
 */
const SUPERSEDED_BY_NEWER: ReadonlySet<MessageType> = new Set([2, 4, 16]);

/**
 * Once the page is stored, in a transaction of its own: every pending message of the page's skus that a newer one of its
 * sku (from this page) makes redundant is settled as skipped, with the newer one's id as its reason.
 * A sku's messages then cost one application, not one per price change the pool held. Answers how many.
 */
async function supersede(deps: DrainDeps, type: MessageType, page: ReadonlyMap<string, NewInboxMessage>, now: number): Promise<number> {
  const newest = new Map<string, string>();
  for (const m of page.values()) newest.set(m.sku, m.messageId);
  return deps.store.sql.transaction(async (tx) => {
    // A runner whose lease was taken over settles nothing: the new holder may be applying these messages.
    if (!(await deps.fenceLease(tx))) return 0;
    const rows = await deps.inbox.supersedePending(tx, deps.supplierId, type, [...newest.keys()], deps.journal.runId, now);
    await deps.messageLogs.logMessages(
      rows.map((r) => ({
        runId: deps.journal.runId,
        supplierId: deps.supplierId,
        messageId: r.messageId,
        type,
        sku: r.sku,
        outcome: "skipped" as const,
        reasonsJson: JSON.stringify([{ code: ErrorCode.Other, field: "messageId", message: supersededReason(newest.get(r.sku), r.messageId) }]),
        durationMs: 0,
        callSeqsJson: "[]",
        at: now,
      })),
      tx,
    );
    return rows.length;
  });
}

/**
 * Names the page's newest message of the sku as the newer one, unless it is the one settled: a later
 * page stored meanwhile (settling runs beside the next page's store) holds a newer message still.
 */
function supersededReason(pageNewest: string | undefined, settled: string): string {
  const by = pageNewest !== undefined && pageNewest !== settled ? ` ${pageNewest} ` : "";
  return `已被同一商品较新的消息${by}取代：应用较新的消息时读取当前数据`;
}

type RawRow = NewUnparseableMessage & { reason: ParseReason };

/** How an unparseable message is kept: raw, with its reason, under its id or (none usable) its digest. */
function unparseableRow(type: MessageType, u: UnparseableMessage): RawRow {
  const payloadJson = JSON.stringify(u.raw) ?? "null";
  const fields = typeof u.raw === "object" && u.raw !== null && !Array.isArray(u.raw) ? (u.raw as Record<string, unknown>) : {};
  const result = typeof fields.result === "object" && fields.result !== null ? (fields.result as Record<string, unknown>) : {};
  const skuId = result.skuId;
  return {
    messageId: u.id ?? `unidentified-${createHash("sha256").update(payloadJson).digest("hex").slice(0, 24)}`,
    type,
    // Shown beside the reason so staff can find the product; a sku is no personal data.
    sku: (typeof skuId === "string" || typeof skuId === "number") && String(skuId).length <= 64 ? String(skuId) : "",
    payloadJson,
    messageTime: typeof fields.time === "string" ? fields.time.slice(0, 32) : "",
    parseError: formatParseReason(u.reason),
    deletable: u.id !== null,
    reason: u.reason,
  };
}

/**
 * Replayed messages that were kept raw are parsed again first: one that parses now (a newer
 * gateway reads more) joins the ordinary path; one that does not goes back with its reason.
 */
async function reparseReplayed(deps: DrainDeps): Promise<void> {
  const { journal, supplierId } = deps;
  for (const row of await deps.inbox.pendingUnparsed(supplierId)) {
    let raw: unknown = null;
    try {
      raw = JSON.parse(row.payloadJson);
    } catch {
      raw = null;
    }
    const parsed = parsePoolMessage(raw);
    const id = deletableIdOf(raw);
    if (parsed.ok && id === row.messageId) {
      const m = parsed.message;
      await deps.inbox.markParsed(row.seq, {
        type: m.type,
        sku: m.result.skuId,
        state: "state" in m.result ? m.result.state : null,
        payloadJson: JSON.stringify(m.result),
        messageTime: m.time,
      });
      continue;
    }
    const reason: ParseReason = parsed.ok ? { field: "id", rule: "an id S-3 can take (no spaces or commas, at most 64)" } : parsed.reason;
    const now = deps.clock();
    await deps.store.sql.transaction(async (tx) => {
      await deps.inbox.requarantine(tx, row.seq, formatParseReason(reason), journal.runId, now);
      await deps.messageLogs.logMessages(
        [
          {
            runId: journal.runId,
            supplierId,
            messageId: row.messageId,
            type: row.type,
            sku: row.sku,
            outcome: "quarantined",
            reasonsJson: JSON.stringify([{ code: ErrorCode.Other, field: reason.field, message: reason.rule }]),
            durationMs: 0,
            callSeqsJson: "[]",
            at: now,
          },
        ],
        tx,
      );
    });
    journal.count(row.type, "quarantined");
  }
}

async function applyType(deps: DrainDeps, type: MessageType, halt: Halt): Promise<void> {
  const ctx: HandlerContext = {
    supplierId: deps.supplierId,
    runId: deps.journal.runId,
    client: deps.client,
    products: deps.products,
    validation: deps.validation,
    clock: deps.clock,
  };
  // Several groups at once, so one group's calls overlap another's commit and its batch calls
  // (a type-6 group waits on S-6…S-10 in turn). A sku is in one group at a time: its messages
  // are applied in pool order by that group, never by two groups racing.
  const busy = new Set<string>();
  const running = new Set<Promise<void>>();
  let round = 0;
  for (; round < MAX_APPLY_ROUNDS; round++) {
    if (halt.halted) break;
    if (!(await deps.keepLease())) {
      halt.fail(new LeaseLostError("lease lost while applying"));
      break;
    }
    const skus = await deps.inbox.dueSkus(deps.supplierId, type, deps.clock(), SKUS_PER_CALL, busy);
    if (skus.length === 0) {
      if (running.size === 0) break;
      // Whatever is due now belongs to a group in flight: wait for one to finish, then look again.
      await Promise.race(running);
      continue;
    }
    for (const sku of skus) busy.add(sku);
    const group: Promise<void> = halt
      .guard(() => applyGroup(deps, ctx, type, skus))
      .finally(() => {
        for (const sku of skus) busy.delete(sku);
        running.delete(group);
      });
    running.add(group);
    if (running.size >= deps.settings.applyGroupsInFlight) await Promise.race(running);
  }
  await Promise.all(running);
  if (round === MAX_APPLY_ROUNDS) deps.logger.warn({ event: "sync.apply.round_cap", type }, "apply round cap reached");
}

/** One group of ≤ 100 skus: its due messages, the handler's calls, one commit. */
async function applyGroup(deps: DrainDeps, ctx: HandlerContext, type: MessageType, skus: readonly string[]): Promise<void> {
  const rowsBySku = new Map<string, InboxRow[]>();
  for (const row of await deps.inbox.dueRowsForSkus(deps.supplierId, type, skus, deps.clock())) {
    const list = rowsBySku.get(row.sku);
    if (list) list.push(row);
    else rowsBySku.set(row.sku, [row]);
  }
  const stale = await settleStale(deps, type, rowsBySku);
  const startedAt = deps.clock();
  const handled = rowsBySku.size > 0 ? await handlers[type](ctx, rowsBySku) : { products: [], priceChanges: [], settlements: [] };
  const result: ChunkResult = { ...handled, settlements: [...stale, ...handled.settlements] };
  // A round can outlast the lease; if another runner took it meanwhile, it is applying these same
  // messages, so this one must write nothing (exactly once, and no older read over a newer one).
  await commitChunk({ ...deps, supplierId: deps.supplierId }, result, startedAt, async (tx) => {
    if (!(await deps.fenceLease(tx))) throw new LeaseLostError("lease lost while applying; chunk not committed");
  });
  deps.onProgress?.({ phase: "apply", type, messages: result.settlements.length });
  for (const settled of result.settlements)
    if (settled.outcome === "failed" && settled.failureClass === "configuration") throw new SupplierConfigurationError(settled.error);
}

/**
 * Per sku, pool order decides (§6): a message older than one of the same type and sku that is
 * already settled (retried from backoff, or replayed from quarantine) is stale. It is skipped with
 * the reason, and taken out of `rowsBySku`, so an old add cannot bring back a removed product.
 */
async function settleStale(deps: DrainDeps, type: MessageType, rowsBySku: Map<string, InboxRow[]>): Promise<Settlement[]> {
  const newest = await deps.inbox.lastSettledSeqs(deps.supplierId, type, [...rowsBySku.keys()]);
  const stale: Settlement[] = [];
  for (const [sku, rows] of rowsBySku) {
    const settled = newest.get(sku);
    if (!settled) continue;
    const fresh = rows.filter((row) => row.seq > settled.seq);
    for (const row of rows) {
      if (row.seq < settled.seq) {
        stale.push({
          row,
          outcome: "skipped",
          reasons: [{ code: ErrorCode.Other, field: "messageId", message: `过期消息：同一商品较新的消息 ${settled.messageId} 已处理` }],
        });
      }
    }
    if (fresh.length === 0) rowsBySku.delete(sku);
    else rowsBySku.set(sku, fresh);
  }
  return stale;
}
