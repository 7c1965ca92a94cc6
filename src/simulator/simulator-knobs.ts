import type { Failure, SubmitOrderResult, SupplierOperationName } from "../contract/index.js";
import type { Random } from "./seeded-random.js";

/**
 * Injected misbehaviour, per endpoint. Every fault is one a real supplier shows sooner or later:
 * - http-5xx: a proxy in front answers 502/503 with an HTML page; nothing was done.
 * - timeout: the request hangs and never answers; nothing was done.
 * - drop-after-work: the work is done, then the connection is cut before the answer.
 * - malformed-json: the answer is cut off mid-body.
 * - bad-signature: the answer carries a wrong X-Sign (hmac mode).
 * - token-expiry: every token dies just before the call, which then answers 5005.
 */
export const faultKinds = ["http-5xx", "timeout", "drop-after-work", "malformed-json", "bad-signature", "token-expiry"] as const;
export type FaultKind = (typeof faultKinds)[number];

/**
 * The hostile supplier: contract breaches real suppliers commit, each a case the mall must survive
 * (see hostile-supplier.ts for what each one sends and what the truth records):
 * - unparseable-messages: malformed messages at the head of every message-pool type.
 * - script-urls: image and certificate urls with javascript: and data: schemes.
 * - changed-submit-answers: S-11 answers with other freight, line price, quantity or sku set.
 * - transient-refusals: signed 5099 refusals in temporary wording ("系统异常，请稍后再试", "服务超时",
 *   "请求超时", busy) on S-7, S-10 and S-11.
 * - unsigned-refusals: 已下架 on S-11 and 商品不存在 on S-4 without X-Sign.
 * - duplicate-message-ids: the same message twice in one S-2 page.
 * - reused-message-ids: new messages published under ids the mall already deleted.
 */
export const hostileCases = [
  "unparseable-messages",
  "script-urls",
  "changed-submit-answers",
  "transient-refusals",
  "unsigned-refusals",
  "duplicate-message-ids",
  "reused-message-ids",
] as const;
export type HostileCase = (typeof hostileCases)[number];

/**
 * Conformance defects: a contract rule the reference supplier breaks on purpose, so the
 * conformance kit can be shown to catch each one (src/simulator/conformance-defects.ts applies them).
 * - unsigned-answers: no X-Sign / X-Sign-Timestamp on any answer (§2.3)
 * - bad-token-code: an unknown or expired token answers 5099 instead of 5005 (§2.2)
 * - no-token-expired: the 5005 desc lacks `token_expired` (§2.2)
 * - pool-newest-first: S-2 serves newest first (§3)
 * - deleted-messages-return: S-2 keeps serving deleted messages (§3)
 * - delete-not-idempotent: deleting an already-deleted id fails (§3)
 * - duplicate-order: a resubmitted yggc_order makes a second supplier order (§5 S-11)
 * - order-echo-prices: the S-11 answer carries other prices than were sent (§5 S-11)
 * - confirm-unknown-order: S-12 confirms an order that does not exist (§5 S-12)
 * - overlong-fields: S-4 names are longer than 300 characters (§5 S-4)
 * - batch-limit-ignored: more than 100 skus are answered instead of refused (§3)
 */
export const conformanceDefects = [
  "unsigned-answers",
  "bad-token-code",
  "no-token-expired",
  "pool-newest-first",
  "deleted-messages-return",
  "delete-not-idempotent",
  "duplicate-order",
  "order-echo-prices",
  "confirm-unknown-order",
  "overlong-fields",
  "batch-limit-ignored",
] as const;
export type ConformanceDefect = (typeof conformanceDefects)[number];

export type EndpointName = SupplierOperationName;
export type EndpointKnobs = {
  /** Added before the call is handled. */
  latencyMs: number;
  /** Calls a second this endpoint accepts; more answer 5099 请求过于频繁. null: unlimited. */
  qps: number | null;
  /** Probability 0…1 of each fault per call. */
  faults: Partial<Record<FaultKind, number>>;
};

/**
 * Hostile S-11 answers: the order is made exactly as sent, but the answer reports other figures —
 * a freight of its own, another line price, another quantity, or another sku set — or, malformed,
 * a negative orderPrice that breaks the result's shape.
 */
export const orderAnswerChanges = ["freight", "price", "num", "skus", "malformed"] as const;
export type OrderAnswerChange = (typeof orderAnswerChanges)[number];

/** A refusal answered instead of doing the work; `unsigned` sends it without X-Sign (§2.3). */
export type CannedRefusal = Failure & { unsigned?: boolean };

export type KnobSettings = {
  /** Failure envelopes go out without X-Sign / X-Sign-Timestamp, as a proxy or a careless shop sends them. */
  unsignedRefusals?: boolean;
  /** Every S-11 answer reports changed figures of this kind; null: answers as made. */
  orderAnswerChange?: OrderAnswerChange | null;
  endpoints?: Partial<Record<EndpointName | "*", Partial<EndpointKnobs>>>;
  /** Calls a second the whole supplier accepts, every endpoint together (a gateway's quota); more answer 请求过于频繁. null: unlimited. */
  supplierQps?: number | null;
  /** Probability that a published message is enqueued twice (two ids, same content). */
  duplicateMessages?: number;
  /** How long a timeout fault holds a request before cutting it, unless the caller gives up first. */
  timeoutHoldMs?: number;
  /** The hostile supplier: true for every case, a list for some, false or [] for none. */
  hostile?: boolean | readonly HostileCase[];
  /** Conformance defects switched on (replaces the current list). */
  defects?: ConformanceDefect[];
  /**
   * Lifetime of the tokens S-1 issues from now on, seconds (§2.1 lets a supplier choose it; `expires_in`
   * says which). Tokens already issued keep the lifetime they were issued with.
   */
  tokenTtlSeconds?: number;
};

const QPS_WINDOW_MS = 1000;
const DEFAULT_TIMEOUT_HOLD_MS = 30_000;
/** §2.1: a token lives 12 h unless the supplier says otherwise. */
export const DEFAULT_TOKEN_TTL_SECONDS = 43_200;

export class SimulatorKnobs {
  private readonly endpoints = new Map<EndpointName | "*", EndpointKnobs>();
  private readonly queued = new Map<EndpointName | "*", FaultKind[]>();
  private readonly recentCalls = new Map<EndpointName, number[]>();
  private readonly refusals = new Map<EndpointName, CannedRefusal[]>();
  private recentSupplierCalls: number[] = [];
  supplierQps: number | null = null;
  /** What callers did, for tests: calls admitted per endpoint, and calls refused as too fast. */
  readonly admitted = new Map<EndpointName, number>();
  throttled = 0;
  /** Calls being answered now, and the most at once since the last reset: what maxConcurrent looks like from here. */
  inFlight = 0;
  maxInFlight = 0;
  duplicateMessages = 0;
  unsignedRefusals = false;
  orderAnswerChange: OrderAnswerChange | null = null;
  timeoutHoldMs = DEFAULT_TIMEOUT_HOLD_MS;
  readonly hostile = new Set<HostileCase>();
  readonly defects = new Set<ConformanceDefect>();
  tokenTtlSeconds: number;

  constructor(
    private readonly random: Random,
    /** The token lifetime the supplier was started with, and comes back to on reset. */
    private readonly startTokenTtlSeconds: number = DEFAULT_TOKEN_TTL_SECONDS,
  ) {
    this.tokenTtlSeconds = startTokenTtlSeconds;
  }

  /** Merges settings over the current ones; `"*"` applies to endpoints without their own entry. */
  apply(settings: KnobSettings): void {
    for (const [name, knobs] of Object.entries(settings.endpoints ?? {}) as Array<[EndpointName | "*", Partial<EndpointKnobs>]>) {
      const current = this.endpoints.get(name) ?? { latencyMs: 0, qps: null, faults: {} };
      this.endpoints.set(name, { ...current, ...knobs, faults: { ...current.faults, ...knobs.faults } });
    }
    if (settings.duplicateMessages !== undefined) this.duplicateMessages = settings.duplicateMessages;
    if (settings.supplierQps !== undefined) this.supplierQps = settings.supplierQps;
    if (settings.timeoutHoldMs !== undefined) this.timeoutHoldMs = settings.timeoutHoldMs;
    if (settings.tokenTtlSeconds !== undefined) this.tokenTtlSeconds = settings.tokenTtlSeconds;
    if (settings.unsignedRefusals !== undefined) this.unsignedRefusals = settings.unsignedRefusals;
    if (settings.orderAnswerChange !== undefined) this.orderAnswerChange = settings.orderAnswerChange;
    if (settings.hostile !== undefined) {
      this.hostile.clear();
      const cases = settings.hostile === true ? hostileCases : settings.hostile === false ? [] : settings.hostile;
      for (const c of cases) this.hostile.add(c);
    }
    if (settings.defects !== undefined) {
      this.defects.clear();
      for (const d of settings.defects) this.defects.add(d);
    }
  }

  isHostile(c: HostileCase): boolean {
    return this.hostile.has(c);
  }

  reset(): void {
    this.endpoints.clear();
    this.queued.clear();
    this.recentCalls.clear();
    this.refusals.clear();
    this.unsignedRefusals = false;
    this.orderAnswerChange = null;
    this.recentSupplierCalls = [];
    this.supplierQps = null;
    this.admitted.clear();
    this.throttled = 0;
    this.maxInFlight = this.inFlight;
    this.duplicateMessages = 0;
    this.timeoutHoldMs = DEFAULT_TIMEOUT_HOLD_MS;
    this.tokenTtlSeconds = this.startTokenTtlSeconds;
    this.hostile.clear();
    this.defects.clear();
  }

  /** The next `times` calls of `endpoint` (or of any endpoint, `"*"`) get `fault`: for exact tests. */
  inject(endpoint: EndpointName | "*", fault: FaultKind, times = 1): void {
    const list = this.queued.get(endpoint) ?? [];
    for (let i = 0; i < times; i++) list.push(fault);
    this.queued.set(endpoint, list);
  }

  settings(): KnobSettings {
    return {
      endpoints: Object.fromEntries(this.endpoints),
      duplicateMessages: this.duplicateMessages,
      supplierQps: this.supplierQps,
      timeoutHoldMs: this.timeoutHoldMs,
      tokenTtlSeconds: this.tokenTtlSeconds,
      unsignedRefusals: this.unsignedRefusals,
      orderAnswerChange: this.orderAnswerChange,
      hostile: [...this.hostile],
      defects: [...this.defects],
    };
  }

  hasDefect(defect: ConformanceDefect): boolean {
    return this.defects.has(defect);
  }

  latencyMs(endpoint: EndpointName): number {
    return this.knobsOf(endpoint).latencyMs;
  }

  /** A call arrived; callLeft when its answer is sent or its connection closes. */
  callArrived(): void {
    this.inFlight++;
    if (this.inFlight > this.maxInFlight) this.maxInFlight = this.inFlight;
  }

  callLeft(): void {
    this.inFlight--;
  }

  /** Counts the call against the endpoint's and the supplier's QPS limits; false when one is exceeded. */
  admit(endpoint: EndpointName, nowMs: number): boolean {
    const { qps } = this.knobsOf(endpoint);
    // Windows are kept only while a limit is set: unlimited calls cost nothing (the puller benchmark).
    const calls = qps === null ? [] : (this.recentCalls.get(endpoint) ?? []).filter((at) => nowMs - at < QPS_WINDOW_MS);
    if (this.supplierQps !== null) this.recentSupplierCalls = this.recentSupplierCalls.filter((at) => nowMs - at < QPS_WINDOW_MS);
    const admitted = (qps === null || calls.length < qps) && (this.supplierQps === null || this.recentSupplierCalls.length < this.supplierQps);
    if (admitted) {
      if (qps !== null) calls.push(nowMs);
      if (this.supplierQps !== null) this.recentSupplierCalls.push(nowMs);
      this.admitted.set(endpoint, (this.admitted.get(endpoint) ?? 0) + 1);
    } else {
      this.throttled++;
    }
    if (qps !== null) this.recentCalls.set(endpoint, calls);
    return admitted;
  }

  /** The fault for this call: an injected one first, else one drawn from the probabilities. */
  drawFault(endpoint: EndpointName): FaultKind | null {
    for (const key of [endpoint, "*"] as const) {
      const list = this.queued.get(key);
      const next = list?.shift();
      if (next) return next;
    }
    const { faults } = this.knobsOf(endpoint);
    for (const kind of faultKinds) {
      const p = faults[kind] ?? 0;
      if (p > 0 && this.random.chance(p)) return kind;
    }
    return null;
  }

  /** The next `times` calls of `endpoint` answer `refusal` (after authentication) instead of doing the work. */
  refuseNext(endpoint: EndpointName, refusal: CannedRefusal, times = 1): void {
    const list = this.refusals.get(endpoint) ?? [];
    for (let i = 0; i < times; i++) list.push(refusal);
    this.refusals.set(endpoint, list);
  }

  takeRefusal(endpoint: EndpointName): CannedRefusal | null {
    return this.refusals.get(endpoint)?.shift() ?? null;
  }

  /** The S-11 answer as this supplier reports it under `orderAnswerChange`. */
  changeOrderAnswer(answer: SubmitOrderResult): SubmitOrderResult {
    const lines = answer.sku.map((l) => ({ ...l }));
    const [first] = lines;
    switch (this.orderAnswerChange) {
      case null:
        return answer;
      case "freight":
        return { ...answer, sku: lines, freight: answer.freight + 10 };
      case "price":
        if (first) first.price = Math.round(first.price * 100 + 100) / 100;
        return { ...answer, sku: lines };
      case "num":
        if (first) first.num += 1;
        return { ...answer, sku: lines };
      case "skus":
        return { ...answer, sku: [...lines.slice(1), { sku: `${first?.sku ?? "0"}X`, num: first?.num ?? 1, price: first?.price ?? 0 }] };
      case "malformed":
        return { ...answer, orderPrice: -1 };
    }
  }

  copiesPerMessage(): number {
    return this.duplicateMessages > 0 && this.random.chance(this.duplicateMessages) ? 2 : 1;
  }

  private knobsOf(endpoint: EndpointName): EndpointKnobs {
    return this.endpoints.get(endpoint) ?? this.endpoints.get("*") ?? { latencyMs: 0, qps: null, faults: {} };
  }
}
