import PQueue from "p-queue";
import type { z } from "zod";
import {
  MAX_BATCH,
  MessagePoolPage,
  type MessageType,
  type ParsedPoolPage,
  type OrderSkuLine,
  SignMode,
  type SubmitOrderRequest,
  type SupplierOperationName,
  type TokenResult,
  applyAliases,
  fenToYuan,
  formatBeijingTimestamp,
  parseFields,
  parsePoolPage,
  presentFields,
  signRequest,
  supplierOperations,
  yggcMd5Sign,
} from "../contract/index.js";
import { newNonce } from "../lib/ids.js";
import { CallBudgetUnavailable, type SharedCallBudget, SharedBudgetGate } from "./call-budget.js";
import { type CallRecorder, noCallRecorder } from "./call-recorder.js";
import { type Transport, type TransportFailure, createHttpTransport } from "./http-transport.js";
import { type RawResponse, type ReadOutcome, readResponse } from "./response-reader.js";
import { DEFAULT_RETRY_POLICIES, type RetryClass, type RetryPolicy, backoffDelayMs, retryClassOf, shouldRetry } from "./retry-policy.js";
import { type CallResult, SupplierError } from "./supplier-error.js";
import { TokenCache } from "./token-cache.js";

type Ops = typeof supplierOperations;
type ResultOf<K extends SupplierOperationName> = z.output<Ops[K]["result"]>;
type ItemOf<K extends SupplierOperationName> = ResultOf<K> extends ReadonlyArray<infer T> ? T : never;
type BatchOperationName = "promise" | "shelfStates" | "stocks" | "images" | "prices";

/** Everything needed to call one connected supplier. Secrets stay inside the client. */
export type SupplierConnection = {
  /** Our name for the supplier, on every record and error. */
  supplier: string;
  baseUrl: string;
  username: string;
  password: string;
  appSecret: string;
  signMode: SignMode;
  platformCode: string;
  /** §1: the mall sends form by default; json per supplier. */
  bodyFormat?: "form" | "json";
  timeoutMs?: number;
  /** Calls in flight at once to this supplier. */
  maxConcurrent?: number;
  /** Calls started per second to this supplier. */
  qps?: number;
  retry?: Partial<Record<RetryClass, Partial<RetryPolicy>>>;
};

export type SupplierClientDeps = {
  transport?: Transport;
  recorder?: CallRecorder;
  now?: () => number;
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /**
   * The supplier's limits as shared with the other gateway instances on the database. The client's
   * own limiter stays the first stage: a call takes its turn here, then a shared slot and QPS token.
   */
  budget?: SharedCallBudget;
};

/** An order to push (§5 S-11), money in fen; the client writes yuan on the wire. */
export type OrderSubmission = Omit<z.input<typeof SubmitOrderRequest>, "platformCode" | "sku" | "order_price" | "freight"> & {
  sku: Array<{ sku: string; num: number; priceFen: number }>;
  orderPriceFen: number;
  freightFen: number;
};

/** How a probe departs from a correct call (conformance negative steps). */
export type ProbeOptions = {
  /** The token to send instead of the cached one (business calls); null sends none. */
  token?: string | null;
  /** Fixed signing fields, e.g. a stale timestamp or a nonce sent twice. */
  timestamp?: string;
  nonce?: string;
  /** "corrupt": a sign that cannot match, to see the supplier refuse it. */
  sign?: "valid" | "corrupt";
  /** Another platformCode than ours (the 5013 step). Fields are always sent as given, without the request schema. */
  platformCode?: string;
};

/** One probe's exchange: what was sent (signed), the raw answer, and what the contract makes of it. */
export type ProbeAnswer = {
  sent: Record<string, string>;
  response: RawResponse | null;
  failure: TransportFailure | null;
  read: ReadOutcome<unknown> | null;
  durationMs: number;
};

export const CLIENT_DEFAULTS = {
  timeoutMs: 10_000,
  maxConcurrent: 4,
  qps: 20,
  bodyFormat: "form",
} as const;

/**
 * The typed client of one supplier: signs every call, verifies every answer against the contract,
 * keeps one token, retries per endpoint, and stays within the supplier's concurrency and QPS.
 * Every method answers a CallResult; nothing a supplier sends can make it throw.
 */
export class SupplierClient {
  readonly supplier: string;
  private readonly conn: SupplierConnection;
  private readonly transport: Transport;
  private readonly recorder: CallRecorder;
  private readonly limiter: PQueue;
  /** The supplier's limits as shared with every other instance on the database, when there is one. */
  private readonly budget: SharedBudgetGate | null;
  /**
   * Calls waiting for the limiter, told when the client closes. A set rather than an abort signal
   * per call: hundreds wait at once, and removing a listener from a signal scans all of them.
   */
  private readonly lifecycle: { closed: boolean; waiting: Set<(reason: Error) => void> };
  /** This view's single-sku reads: stopped (with why) by stopSkuReads, and those waiting for the limiter. */
  private readonly skuReads: { stopped: string | null; waiting: Set<(reason: WithheldCall) => void> } = { stopped: null, waiting: new Set() };
  private readonly tokens: TokenCache;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  /** False for a view made by withRecorder: closing it leaves the shared client open. */
  private readonly owner: boolean;

  constructor(conn: SupplierConnection, deps: SupplierClientDeps = {}, shared?: SupplierClient) {
    this.conn = conn;
    this.supplier = conn.supplier;
    this.recorder = deps.recorder ?? noCallRecorder;
    this.now = deps.now ?? Date.now;
    this.random = deps.random ?? Math.random;
    this.sleep = deps.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.owner = shared === undefined;
    if (shared) {
      this.transport = shared.transport;
      this.lifecycle = shared.lifecycle;
      this.limiter = shared.limiter;
      this.budget = shared.budget;
      this.tokens = shared.tokens;
      return;
    }
    const maxConcurrent = conn.maxConcurrent ?? CLIENT_DEFAULTS.maxConcurrent;
    const qps = conn.qps ?? CLIENT_DEFAULTS.qps;
    this.transport = deps.transport ?? createHttpTransport({ maxSockets: maxConcurrent });
    this.lifecycle = { closed: false, waiting: new Set() };
    const limiter = new PQueue({ concurrency: maxConcurrent, ...rateWindow(qps) });
    this.limiter = limiter;
    this.budget = deps.budget ? new SharedBudgetGate(deps.budget, { maxConcurrent, qps }, () => limiter.size + limiter.pending, this.random) : null;
    this.tokens = new TokenCache(() => this.login(), this.now);
  }

  /**
   * The same client (connection, limiter, token) recording its calls to `recorder`: a sync run
   * keeps its own call log while the supplier's limits and login stay shared with every other user.
   */
  withRecorder(recorder: CallRecorder): SupplierClient {
    return new SupplierClient(this.conn, { recorder, now: this.now, random: this.random, sleep: this.sleep }, this);
  }

  /** S-2: up to 100 undeleted messages of `type`, oldest first. */
  getMessagePool(type: MessageType): Promise<CallResult<ResultOf<"messagePool">>> {
    return this.call("messagePool", { type: String(type) });
  }

  /**
   * S-2 as the puller reads it: the page must be an array, each message is then parsed on its own,
   * and those that break the contract come back raw with their reason (see parsePoolPage).
   */
  async readMessagePool(type: MessageType): Promise<CallResult<ParsedPoolPage>> {
    const answer = await this.call("messagePool", { type: String(type) }, undefined, MessagePoolPage);
    return answer.ok ? { ok: true, value: parsePoolPage(answer.value as unknown[]) } : answer;
  }

  /** S-3, in batches of 100; deleting an already-deleted id succeeds. */
  async delMessagePool(ids: readonly string[]): Promise<CallResult<true>> {
    for (const chunk of chunks(unique(ids))) {
      const answer = await this.call("messageDelete", { messageId: chunk.join(",") }, chunk.length);
      if (!answer.ok) return answer;
    }
    return { ok: true, value: true };
  }

  /** S-4. */
  detail(sku: string): Promise<CallResult<ResultOf<"detail">>> {
    return this.call("detail", { sku });
  }

  /** S-5. */
  attributes(sku: string): Promise<CallResult<ResultOf<"attributes">>> {
    return this.call("attributes", { sku });
  }

  /** S-6; unknown skus are absent from the result (§3). */
  promises(skus: readonly string[]): Promise<CallResult<Array<ItemOf<"promise">>>> {
    return this.batch("promise", skus, {});
  }

  /** S-7. */
  shelfStates(skus: readonly string[]): Promise<CallResult<Array<ItemOf<"shelfStates">>>> {
    return this.batch("shelfStates", skus, {});
  }

  /** S-8 in one `province_city_county` area. */
  stocks(skus: readonly string[], area: string, num?: number): Promise<CallResult<Array<ItemOf<"stocks">>>> {
    return this.batch("stocks", skus, num === undefined ? { area } : { area, num: String(num) });
  }

  /** S-9. */
  images(skus: readonly string[]): Promise<CallResult<Array<ItemOf<"images">>>> {
    return this.batch("images", skus, {});
  }

  /** S-10. */
  prices(skus: readonly string[]): Promise<CallResult<Array<ItemOf<"prices">>>> {
    return this.batch("prices", skus, {});
  }

  /**
   * S-11. Retried only as an identical request: the same yggc_order, which the supplier answers
   * with the order it already made.
   */
  submitOrder(order: OrderSubmission): Promise<CallResult<ResultOf<"submitOrder">>> {
    const { sku, orderPriceFen, freightFen, ...rest } = order;
    const lines: OrderSkuLine[] = sku.map((l) => ({ sku: l.sku, num: l.num, price: fenToYuan(l.priceFen) }));
    const fields: Record<string, string> = {};
    for (const [name, value] of Object.entries(rest)) if (value !== undefined && value !== null) fields[name] = String(value);
    fields.sku = JSON.stringify(lines);
    fields.order_price = String(fenToYuan(orderPriceFen));
    fields.freight = String(fenToYuan(freightFen));
    return this.call("submitOrder", fields, lines.length);
  }

  /** S-12; confirming twice succeeds. */
  confirmOrder(orderId: string, payMoneyFen?: number): Promise<CallResult<true>> {
    const fields: Record<string, string> = { order_id: orderId };
    if (payMoneyFen !== undefined) fields.pay_money = String(fenToYuan(payMoneyFen));
    return this.call("confirmOrder", fields);
  }

  /**
   * One exchange exactly as asked, for the conformance kit's negative steps: no request schema, no
   * chunking, no retry, no re-login, and outside the limiter (the QPS step must be able to exceed
   * the supplier's limit). The answer is read with the same checks as every other call.
   */
  async probe(name: SupplierOperationName, fields: Record<string, string>, options: ProbeOptions = {}): Promise<ProbeAnswer> {
    const op = supplierOperations[name];
    const body: Record<string, string> = { ...fields };
    if (name !== "token") {
      body.platformCode = options.platformCode ?? this.conn.platformCode;
      const token = options.token === undefined ? await this.tokens.get() : options.token === null ? null : { ok: true as const, value: options.token };
      if (token && token.ok) body.token = token.value;
    }
    const signed = this.sign(name, body, { timestamp: options.timestamp, nonce: options.nonce });
    if (options.sign === "corrupt" && signed.sign) signed.sign = corruptHex(signed.sign);
    const json = (this.conn.bodyFormat ?? CLIENT_DEFAULTS.bodyFormat) === "json";
    const started = performance.now();
    const sent = await this.transport.post({
      url: this.conn.baseUrl.replace(/\/+$/, "") + op.path,
      body: json ? JSON.stringify(withMoneyAsNumbers(signed)) : new URLSearchParams(signed).toString(),
      contentType: json ? "application/json;charset=UTF-8" : "application/x-www-form-urlencoded;charset=UTF-8",
      timeoutMs: this.conn.timeoutMs ?? CLIENT_DEFAULTS.timeoutMs,
    });
    const durationMs = Math.round(performance.now() - started);
    if (!sent.ok) return { sent: signed, response: null, failure: sent.failure, read: null, durationMs };
    const read = readResponse(sent.response, op.result, { signMode: this.conn.signMode, appSecret: this.conn.appSecret });
    return { sent: signed, response: sent.response, failure: null, read, durationMs };
  }

  /** The current token, logging in when there is none (diagnostics and health checks). */
  token(): Promise<CallResult<string>> {
    return this.tokens.get();
  }

  get loginCount(): number {
    return this.tokens.logins;
  }

  async close(): Promise<void> {
    if (!this.owner) return;
    // Waiting calls are dropped: their add() rejects and they answer "not sent".
    this.lifecycle.closed = true;
    this.limiter.clear();
    for (const drop of [...this.lifecycle.waiting]) drop(new Error("the client is closed"));
    this.budget?.close();
    this.transport.close();
  }

  /**
   * A stopping run ends its groups with what they have read: this view's single-sku reads (S-4,
   * S-5) still waiting for the limiter, and any it would start, answer "not sent" (`unsent`), while
   * batch reads go on. The skus already read are committed; the rest stay pending for the next run,
   * and the calls other users of the shared client make are untouched.
   */
  stopSkuReads(reason: string): void {
    this.skuReads.stopped = reason;
    for (const drop of [...this.skuReads.waiting]) drop(new WithheldCall(reason));
  }

  /** A sku batch, split at 100 (§3) and sent in parallel under the limiter; results in request order. */
  private async batch<K extends BatchOperationName>(name: K, skus: readonly string[], extra: Record<string, string>): Promise<CallResult<Array<ItemOf<K>>>> {
    const parts = chunks(unique(skus));
    const answers = await Promise.all(parts.map((chunk) => this.call(name, { sku: chunk.join(","), ...extra }, chunk.length)));
    const items: Array<ItemOf<K>> = [];
    for (const answer of answers) {
      if (!answer.ok) return answer;
      items.push(...(answer.value as Array<ItemOf<K>>));
    }
    return { ok: true, value: items };
  }

  /**
   * One business call with its retries (§2.2 for 5005). The token goes on the call when it is sent,
   * inside its turn: a call that waited longer than a token lives still goes out with a live one.
   * A 5005 for a token renewed meanwhile is sent again with the current one; a 5005 for the current
   * token logs in again, once per call. Every send counts toward the endpoint's attempts.
   */
  private async call<K extends Exclude<SupplierOperationName, "token">>(
    name: K,
    fields: Record<string, string>,
    batchSize?: number,
    result?: z.ZodType,
  ): Promise<CallResult<ResultOf<K>>> {
    const op = supplierOperations[name];
    const request = parseFields(op.request, applyAliases(presentFields({ ...fields, platformCode: this.conn.platformCode }), op.aliases));
    if (!request.ok)
      return {
        ok: false,
        error: this.error(name, { kind: "contract", field: "request", message: `request breaks the contract: ${request.failure.desc}`, retryable: false }),
      };

    const policy = this.policy(retryClassOf[name]);
    const login = () => this.login();
    const body = { ...fields, platformCode: this.conn.platformCode };
    let reloggedIn = false;
    let lapses = 0;
    for (let attempt = 1; ;) {
      // A token to take at the turn: held, or logged in for now, outside any slot (a login needs a
      // turn of its own). A login this call starts is recorded with it; one already under way is shared.
      const ready = await this.tokens.get(login);
      if (!ready.ok) return ready;
      const sent = await this.attempt(name, body, attempt, { batchSize, result, lapsed: lapses > 0, token: login });
      if (sent === TOKEN_LAPSED) {
        // The token died while the call waited and no renewal had come: nothing went out, so this
        // is no attempt. Its next turn comes first in line; bounded all the same.
        if (++lapses > MAX_TOKEN_LAPSES)
          return {
            ok: false,
            error: this.error(name, { kind: "network", message: "not sent: no live token could be held until the call's turn", retryable: true }),
          };
        continue;
      }
      const { answer, token } = sent;
      if (answer.ok) return answer;
      const error = answer.error.withAttempts(attempt);
      if (error.tokenExpired && token !== null && attempt < policy.maxAttempts) {
        if (!this.tokens.isCurrent(token)) {
          attempt++;
          continue;
        }
        if (!reloggedIn) {
          reloggedIn = true;
          this.tokens.invalidate(token);
          attempt++;
          continue;
        }
      }
      if (!shouldRetry(policy, error, attempt)) return { ok: false, error };
      await this.sleep(backoffDelayMs(policy, attempt, this.random));
      attempt++;
    }
  }

  /** S-1, with its own retries; shared by every caller through the token cache. */
  private async login(): Promise<CallResult<TokenResult>> {
    const policy = this.policy("token");
    for (let attempt = 1; ; attempt++) {
      // The timestamp is written when the request is sent, after its turn (§2.1's ±300 s window).
      const fields: Record<string, string> = { username: this.conn.username, password: this.conn.password };
      const sent = await this.attempt("token", fields, attempt, {});
      if (sent === TOKEN_LAPSED) continue;
      const { answer } = sent;
      if (answer.ok) return answer;
      const error = answer.error.withAttempts(attempt);
      if (!shouldRetry(policy, error, attempt)) return { ok: false, error };
      await this.sleep(backoffDelayMs(policy, attempt, this.random));
    }
  }

  /**
   * One HTTP exchange under the limiter, recorded whatever happens. The token (for a business call,
   * `options.token` logging in when needed) is taken and the request signed at the moment it is sent,
   * inside its slot and turn: TOKEN_LAPSED, unsent and unrecorded, when no token was fit to send then.
   */
  private async attempt<K extends SupplierOperationName>(
    name: K,
    fields: Record<string, string>,
    attempt: number,
    options: { batchSize?: number; result?: z.ZodType; lapsed?: boolean; token?: () => Promise<CallResult<TokenResult>> },
  ): Promise<Sent<K> | typeof TOKEN_LAPSED> {
    const op = supplierOperations[name];
    const result = options.result ?? op.result;
    const json = (this.conn.bodyFormat ?? CLIENT_DEFAULTS.bodyFormat) === "json";
    const startedAtMs = this.now();
    const started = performance.now();
    let token: string | null = null;
    const exchange = async (): Promise<CallResult<ResultOf<K>> | typeof TOKEN_LAPSED> => {
      let body = fields;
      if (options.token) {
        token = this.tokens.sendable(options.token);
        if (token === null) return TOKEN_LAPSED;
        body = { ...fields, token };
      }
      const signed = this.sign(name, body);
      const sent = await this.transport.post({
        url: this.conn.baseUrl.replace(/\/+$/, "") + op.path,
        body: json ? JSON.stringify(withMoneyAsNumbers(signed)) : new URLSearchParams(signed).toString(),
        contentType: json ? "application/json;charset=UTF-8" : "application/x-www-form-urlencoded;charset=UTF-8",
        timeoutMs: this.conn.timeoutMs ?? CLIENT_DEFAULTS.timeoutMs,
      });
      if (!sent.ok) return { ok: false, error: this.error(name, { ...sent.failure, retryable: true }) };
      const read = readResponse(sent.response, result, { signMode: this.conn.signMode, appSecret: this.conn.appSecret });
      if (!read.ok) return { ok: false, error: this.error(name, read.problem) };
      return { ok: true, value: read.value as ResultOf<K> };
    };
    const priority = name === "token" ? LOGIN_PRIORITY : options.lapsed ? LAPSED_PRIORITY : priorityOf(name);
    const answer = await this.queue(exchange, name, priority).catch((err: unknown) => ({
      ok: false as const,
      // Only a closed client, a stopped run or an unreachable shared budget gets here: the exchange itself never rejects.
      error: this.error(name, {
        kind: "network",
        message: `not sent: ${err instanceof Error ? err.message : String(err)}`,
        retryable: err instanceof CallBudgetUnavailable,
        unsent: err instanceof WithheldCall,
      }),
    }));
    if (answer === TOKEN_LAPSED) return TOKEN_LAPSED;
    this.recorder.record({
      supplier: this.supplier,
      operation: name,
      endpoint: endpointOf(name),
      attempt,
      startedAt: new Date(startedAtMs).toISOString(),
      durationMs: Math.round(performance.now() - started),
      outcome: answer.ok ? "ok" : answer.error.kind,
      ...(answer.ok
        ? {}
        : {
            errorCode: answer.error.code,
            httpStatus: answer.error.status,
            field: answer.error.field,
            message: answer.error.detail,
            signed: answer.error.signed,
          }),
      ...(options.batchSize === undefined ? {} : { batchSize: options.batchSize }),
      ...subjectOf(fields),
    });
    return { answer, token };
  }

  /**
   * Runs `exchange` under the limiter; rejects at once, unsent, when the client closes meanwhile,
   * or (a single-sku read) when this view's run stops.
   */
  private queue<T>(exchange: () => Promise<T>, name: SupplierOperationName, priority: number): Promise<T> {
    const { lifecycle } = this;
    if (lifecycle.closed) return Promise.reject(new Error("the client is closed"));
    const skuReads = priorityOf(name) === SKU_READ_PRIORITY ? this.skuReads : null;
    if (skuReads?.stopped) return Promise.reject(new WithheldCall(skuReads.stopped));
    return new Promise<T>((resolve, reject) => {
      // A withheld call keeps its place in the limiter (p-queue cannot take one job out), but
      // its turn sends nothing.
      let withheld: Error | null = null;
      const withhold = (reason: Error) => {
        withheld = reason;
        reject(reason);
      };
      const stopped = (): Error | null => withheld ?? (lifecycle.closed ? new Error("the client is closed") : null);
      const turn = (): Promise<T> => {
        if (withheld) return Promise.resolve(undefined as T);
        return this.budget ? this.budget.run(exchange, stopped) : exchange();
      };
      lifecycle.waiting.add(reject);
      skuReads?.waiting.add(withhold);
      this.limiter
        .add(turn, { priority })
        .then(resolve, reject)
        .finally(() => {
          lifecycle.waiting.delete(reject);
          skuReads?.waiting.delete(withhold);
        });
    });
  }

  /** §2.1/§2.2 signing fields; a new timestamp and nonce on every attempt (the server rejects replays). */
  private sign(name: SupplierOperationName, fields: Record<string, string>, fixed: { timestamp?: string; nonce?: string } = {}): Record<string, string> {
    const { signMode, appSecret } = this.conn;
    const timestamp = fixed.timestamp ?? fields.timestamp ?? formatBeijingTimestamp(this.now());
    if (signMode === SignMode.YggcMd5) {
      if (name !== "token") return fields;
      const withTime = { ...fields, timestamp };
      return { ...withTime, sign: yggcTokenSign(withTime) };
    }
    const withNonce = { ...fields, timestamp, nonce: fixed.nonce ?? newNonce() };
    return { ...withNonce, sign: signRequest(appSecret, withNonce) };
  }

  private policy(cls: RetryClass): RetryPolicy {
    return { ...DEFAULT_RETRY_POLICIES[cls], ...this.conn.retry?.[cls] };
  }

  private error(
    name: SupplierOperationName,
    problem: {
      kind: SupplierError["kind"];
      message: string;
      retryable: boolean;
      code?: number;
      field?: string;
      status?: number;
      tokenExpired?: boolean;
      unsent?: boolean;
    },
  ): SupplierError {
    return new SupplierError({ supplier: this.supplier, operation: name, endpoint: endpointOf(name), ...problem });
  }
}

/**
 * Single-sku reads (S-4, S-5) come in hundreds at a time and each moves little; every other call
 * (a group's batch read, a pool page, a delete, an order) goes ahead of those already waiting, so a
 * group of skus completes, and the pull goes on, while the next group's reads keep the connection busy.
 */
const SKU_READ_PRIORITY = 0;
/** A call whose token lapsed while it waited goes before every other waiting call but a login. */
const LAPSED_PRIORITY = 2;
/** Turns a call may give up for want of a live token before it answers "not sent". */
const MAX_TOKEN_LAPSES = 5;
/** A login (first, or a renewal before expiry) goes first: every waiting call needs its token. */
const LOGIN_PRIORITY = 3;
function priorityOf(name: SupplierOperationName): number {
  return name === "detail" || name === "attributes" ? SKU_READ_PRIORITY : 1;
}

/** What one exchange answered, and the token it carried (business calls). */
type Sent<K extends SupplierOperationName> = { answer: CallResult<ResultOf<K>>; token: string | null };
/** An exchange whose turn came when no token was fit to send: nothing went out. */
const TOKEN_LAPSED = Symbol("token lapsed");

/** Why a call was not sent: its run stopped (stopSkuReads). */
class WithheldCall extends Error {
  override readonly name = "WithheldCall";
}

function endpointOf(name: SupplierOperationName): string {
  const op = supplierOperations[name];
  return `${op.id} ${op.path}`;
}

function corruptHex(sign: string): string {
  return sign.slice(0, -1) + (sign.at(-1) === "0" ? "1" : "0");
}

function yggcTokenSign(fields: Record<string, string>): string {
  return yggcMd5Sign(fields.username ?? "", fields.password ?? "", fields.timestamp ?? "");
}

/** §1: money is a JSON number. Form bodies carry text; a JSON body carries these as numbers (same canonical text). */
const MONEY_FIELDS = ["order_price", "freight", "pay_money"] as const;
function withMoneyAsNumbers(fields: Record<string, string>): Record<string, string | number> {
  const out: Record<string, string | number> = { ...fields };
  for (const name of MONEY_FIELDS) if (fields[name] !== undefined) out[name] = Number(fields[name]);
  return out;
}

/**
 * The QPS limit as p-queue windows, sliding (`strict`) as a supplier counting the last second slides
 * its own. Low limits space calls evenly (one per 1000/qps ms). High ones allow a fifth of the limit
 * per 200 ms, less a margin: a supplier stamps each call when it arrives, and calls delayed on the
 * way (a busy host, GC) bunch up, so a limit used to the last call gets some refused as 请求过于频繁 —
 * each refusal a retry and a backoff. Short windows keep bursts small; the margin absorbs the rest.
 */
const FINE_WINDOW_MS = 200;
const FINE_WINDOW_MIN_QPS = 100;
const ARRIVAL_JITTER_MARGIN = 0.025;
function rateWindow(qps: number): { interval: number; intervalCap: number; strict: true } {
  if (qps >= FINE_WINDOW_MIN_QPS)
    return { interval: FINE_WINDOW_MS, intervalCap: Math.floor(((qps * FINE_WINDOW_MS) / 1000) * (1 - ARRIVAL_JITTER_MARGIN)), strict: true };
  return { interval: Math.ceil(1000 / qps), intervalCap: 1, strict: true };
}

/** The business key of a call, so a sync log can tie calls to the messages and orders they served. */
const SUBJECT_FIELDS = ["sku", "messageId", "yggc_order", "order_id"] as const;
const SUBJECT_MAX = 2_000;
function subjectOf(fields: Record<string, string>): { subject?: string } {
  for (const name of SUBJECT_FIELDS) {
    const value = fields[name];
    if (value !== undefined) return { subject: name === "sku" && value.startsWith("[") ? skusOfOrderLines(value) : value.slice(0, SUBJECT_MAX) };
  }
  return {};
}
function skusOfOrderLines(json: string): string {
  try {
    return (JSON.parse(json) as Array<{ sku: string }>)
      .map((l) => l.sku)
      .join(",")
      .slice(0, SUBJECT_MAX);
  } catch {
    return "";
  }
}

function unique(items: readonly string[]): string[] {
  return [...new Set(items)];
}

function chunks(items: readonly string[]): string[][] {
  const out: string[][] = [];
  for (let i = 0; i < items.length; i += MAX_BATCH) out.push(items.slice(i, i + MAX_BATCH));
  return out;
}
