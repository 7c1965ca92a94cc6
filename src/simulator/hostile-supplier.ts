import { ErrorCode, type MessageType, type SubmitOrderResult, type SupplierOperationName, fenToYuan } from "../contract/index.js";
import type { Outcome } from "./outcome.js";
import type { SimProduct } from "./product-model.js";
import type { HostileCase } from "./simulator-knobs.js";
import type { SupplierSimulator } from "./supplier-simulator.js";

/** How an S-11 answer differs from the order the mall sent (changed-submit-answers). */
export const submitChanges = ["freight", "line-price", "quantity", "sku-set"] as const;
export type SubmitChange = (typeof submitChanges)[number];

/** The temporary wordings of transient-refusals, in the order they are answered. */
export const TRANSIENT_WORDINGS = ["系统异常，请稍后再试", "服务超时", "请求超时", "busy"] as const;
/** How many times an unsigned refusal is answered before the real answer. */
const UNSIGNED_TIMES = 2;
/** How many deleted ids are handed out again (reused-message-ids). */
const REUSED_IDS = 3;
/** What a changed answer adds to freight and to a line price, in fen: figures a test can find again. */
export const CHANGED_FREIGHT_FEN = 37;
export const CHANGED_PRICE_FEN = 123;

export type UnparseableMessage = { id: string; type: MessageType; result: unknown; why: string };

/** What the hostile supplier did, for a test to compare the mall's outcome with. */
export type HostileTruth = {
  cases: HostileCase[];
  /** Messages that break the contract, and why: the mall quarantines each with its reason. */
  unparseable: UnparseableMessage[];
  /** Skus whose image or certificate url has a script scheme: rejected 5015. */
  scriptUrlSkus: string[];
  /** Sku → how S-11 answers an order containing it: the order fails, no S-12. */
  changedAnswers: Record<string, SubmitChange>;
  /** Orders of this sku get the transient wordings on S-11 first: retried, then confirmed. */
  transientOrderSku: string | null;
  /** Orders of this sku get an unsigned 已下架 first: never final, then confirmed. */
  unsignedOrderSku: string | null;
  /** S-4 of this sku answers an unsigned 商品不存在 first: the product is still added. */
  unsignedDetailSku: string | null;
  /** Ids served twice in one page. */
  duplicatedIds: string[];
  /** Deleted ids given to new messages. */
  reusedIds: string[];
  /** Refusals answered so far, by case. */
  answered: Record<string, number>;
};

export type Intercepted = { outcome: Outcome<unknown>; unsigned: boolean };

/**
 * The hostile supplier's behaviour, switched on case by case by the `hostile` knob. Everything it
 * does is recorded in its truth; the products' own truth stays what a correct mall must end with.
 */
export class HostileSupplier {
  private prepared = false;
  private readonly truth: HostileTruth = {
    cases: [],
    unparseable: [],
    scriptUrlSkus: [],
    changedAnswers: {},
    transientOrderSku: null,
    unsignedOrderSku: null,
    unsignedDetailSku: null,
    duplicatedIds: [],
    reusedIds: [],
    answered: {},
  };
  private readonly counters = new Map<string, number>();
  private reusedSoFar = 0;

  constructor(private readonly sim: SupplierSimulator) {}

  private on(c: HostileCase): boolean {
    return this.sim.knobs.isHostile(c);
  }

  /**
   * Sets the stage once: malformed messages (before the initial pool when the simulator starts
   * hostile, so they are at the head of every type), script urls and the skus each case uses.
   */
  prepare(): void {
    if (this.prepared || this.sim.knobs.hostile.size === 0) return;
    this.prepared = true;
    const pool = this.sim.pool;
    const candidates = this.sim.products.all().filter((p) => p.inPool && p.invalid.length === 0 && p.shelfState === 1);
    const used = new Set<string>();
    const take = (accept: (p: SimProduct) => boolean = () => true): SimProduct | undefined => {
      const p = candidates.find((c) => !used.has(c.sku) && accept(c));
      if (p) used.add(p.sku);
      return p;
    };
    const orderable = (p: SimProduct) => p.stock === null || p.stock.base >= 20;
    const anySku = candidates[0]?.sku ?? "1";

    if (this.on("unparseable-messages")) {
      const head: Array<[MessageType, unknown, string]> = [
        [2, { skuId: "1", price: null }, "price is null"],
        [2, { price: 12.5 }, "skuId missing"],
        [4, "skuId=1&state=2", "result is a string"],
        [4, { state: 2 }, "skuId missing"],
        [6, { skuId: anySku, state: 3 }, "state 3 is not 1 or 2"],
        [6, [{ skuId: anySku, state: 1 }], "result is an array"],
        [16, [anySku], "result is an array"],
        [16, "skuId", "result is a string"],
      ];
      for (const [type, result, why] of head) {
        const m = pool.publishMalformed(type, result);
        this.truth.unparseable.push({ id: m.id, type, result, why });
      }
    }
    if (this.on("script-urls")) {
      const image = take();
      if (image && image.images[0]) {
        image.images[0].path = "javascript:alert(document.cookie)//main.jpg";
        image.invalid.push({ kind: "script-url-image", field: "image_path", text: "javascript: url" });
        this.truth.scriptUrlSkus.push(image.sku);
      }
      const cert = take((p) => p.promise.certifications.length > 0);
      const first = cert?.promise.certifications[0];
      if (cert && first) {
        first.certUrl = "data:application/pdf;base64,JVBERi0xLjQK#cert.pdf";
        cert.invalid.push({ kind: "script-url-cert", field: "certifications.certUrl", text: "data: url" });
        this.truth.scriptUrlSkus.push(cert.sku);
      }
    }
    if (this.on("changed-submit-answers")) {
      for (const change of submitChanges) {
        const p = take(orderable);
        if (p) this.truth.changedAnswers[p.sku] = change;
      }
    }
    if (this.on("transient-refusals")) this.truth.transientOrderSku = take(orderable)?.sku ?? null;
    if (this.on("unsigned-refusals")) {
      this.truth.unsignedOrderSku = take(orderable)?.sku ?? null;
      this.truth.unsignedDetailSku = take()?.sku ?? null;
    }
  }

  /** Before the handler: a refusal instead of the real answer, or null to go on. */
  before(name: SupplierOperationName, input: Record<string, unknown>): Intercepted | null {
    this.prepare();
    const skus = skusOf(name, input);
    if (this.on("unsigned-refusals")) {
      if (
        name === "submitOrder" &&
        this.truth.unsignedOrderSku &&
        skus.includes(this.truth.unsignedOrderSku) &&
        this.count("unsigned-order") <= UNSIGNED_TIMES
      ) {
        return this.refuse("unsigned-refusals", "已下架", true);
      }
      if (name === "detail" && this.truth.unsignedDetailSku && skus.includes(this.truth.unsignedDetailSku) && this.count("unsigned-detail") <= UNSIGNED_TIMES) {
        return this.refuse("unsigned-refusals", "商品不存在", true);
      }
    }
    if (this.on("transient-refusals")) {
      const orderOfSku = name === "submitOrder" && this.truth.transientOrderSku !== null && skus.includes(this.truth.transientOrderSku);
      if (orderOfSku || name === "prices" || name === "shelfStates") {
        const n = this.count(`transient-${name}`);
        const wording = TRANSIENT_WORDINGS[n - 1];
        if (wording) return this.refuse("transient-refusals", wording, false);
      }
    }
    return null;
  }

  /** After the handler: the answer as the hostile supplier sends it. */
  after(name: SupplierOperationName, input: Record<string, unknown>, outcome: Outcome<unknown>): Outcome<unknown> {
    if (!outcome.ok) return outcome;
    if (name === "messagePool" && this.on("duplicate-message-ids")) {
      const page = outcome.value as Array<{ id: string }>;
      const first = page[0];
      if (first) {
        if (!this.truth.duplicatedIds.includes(first.id)) this.truth.duplicatedIds.push(first.id);
        return { ok: true, value: [first, ...page] };
      }
    }
    if (name === "messageDelete" && this.on("reused-message-ids") && this.reusedSoFar < REUSED_IDS) {
      const ids = String(input.messageId ?? "")
        .split(",")
        .filter((id) => id !== "" && !this.truth.reusedIds.includes(id));
      const reuse = ids.slice(0, REUSED_IDS - this.reusedSoFar);
      this.reusedSoFar += reuse.length;
      this.truth.reusedIds.push(...reuse);
      this.sim.pool.reuseIds(reuse);
    }
    if (name === "submitOrder" && this.on("changed-submit-answers")) {
      const answer = outcome.value as SubmitOrderResult;
      const change = answer.sku.map((l) => this.truth.changedAnswers[l.sku]).find((c) => c !== undefined);
      if (change) {
        this.bump("changed-submit-answers");
        return { ok: true, value: changed(answer, change, this.sim) };
      }
    }
    return outcome;
  }

  exportTruth(): HostileTruth {
    return { ...structuredClone(this.truth), cases: [...this.sim.knobs.hostile] };
  }

  private count(key: string): number {
    const n = (this.counters.get(key) ?? 0) + 1;
    this.counters.set(key, n);
    return n;
  }

  private bump(c: HostileCase): void {
    this.truth.answered[c] = (this.truth.answered[c] ?? 0) + 1;
  }

  private refuse(c: HostileCase, desc: string, unsigned: boolean): Intercepted {
    this.bump(c);
    return { outcome: { ok: false, failure: { code: ErrorCode.Other, desc } }, unsigned };
  }
}

function skusOf(name: SupplierOperationName, input: Record<string, unknown>): string[] {
  if (name === "submitOrder") return Array.isArray(input.sku) ? (input.sku as Array<{ sku: string }>).map((l) => l.sku) : [];
  return typeof input.sku === "string" ? input.sku.split(",") : [];
}

/** The supplier's answer with one figure changed: what it would bill, not what the mall sent. */
function changed(answer: SubmitOrderResult, change: SubmitChange, sim: SupplierSimulator): SubmitOrderResult {
  const lines = answer.sku.map((l) => ({ ...l }));
  const first = lines[0];
  if (!first) return answer;
  switch (change) {
    case "freight":
      return { ...answer, freight: fenToYuan(Math.round(answer.freight * 100) + CHANGED_FREIGHT_FEN) };
    case "line-price":
      first.price = fenToYuan(Math.round(first.price * 100) + CHANGED_PRICE_FEN);
      return { ...answer, sku: lines, orderPrice: fenToYuan(Math.round(answer.orderPrice * 100) + CHANGED_PRICE_FEN * first.num) };
    case "quantity":
      first.num += 1;
      return { ...answer, sku: lines, orderPrice: fenToYuan(Math.round(answer.orderPrice * 100) + Math.round(first.price * 100)) };
    case "sku-set": {
      const stranger = sim.products.all().find((p) => p.inPool && !lines.some((l) => l.sku === p.sku));
      return stranger ? { ...answer, sku: [...lines, { sku: stranger.sku, num: 1, price: fenToYuan(stranger.priceFen) }] } : { ...answer, sku: lines.slice(1) };
    }
  }
}
