import { yuanToFen } from "../contract/index.js";
import type { Logger } from "../lib/logger.js";
import type { KeyRing } from "../security/key-ring.js";
import type { NewOrderEvent, OrderPatch, OrderRepo, OrderRow, OrderState } from "../store/repos/order-repo.js";
import { backoffDelayMs } from "../supplier/retry-policy.js";
import type { OrderSubmission, SupplierClient } from "../supplier/supplier-client.js";
import { type CallResult, SupplierError } from "../supplier/supplier-error.js";
import { checkSubmitAnswer } from "./order-answer-check.js";
import type { OrderLine } from "./order-intake.js";
import { openConsignee, openInvoiceBank } from "./order-personal-data.js";

/** What the pusher needs of a supplier: S-11, S-12 and S-10 (to explain 价格不一致). */
export type PushClient = Pick<SupplierClient, "submitOrder" | "confirmOrder" | "prices" | "stocks">;

export type PushPolicy = {
  /** How long a claim holds an order; longer than one step (a call with the client's own retries). */
  leaseMs: number;
  /** Backoff between push attempts of one order, on top of the client's in-call retries. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Attempts in one state before the order fails as gave_up (staff may retry it). */
  maxAttempts: number;
};

export const DEFAULT_PUSH_POLICY: PushPolicy = {
  leaseMs: 120_000, // > 3 submit attempts × 10 s timeout + backoff (CLIENT_DEFAULTS, retry-policy)
  baseDelayMs: 5_000,
  maxDelayMs: 15 * 60_000,
  maxAttempts: 12, // ≈ 1 h of backoff before a person has to look
};

export type PushDeps = {
  repo: OrderRepo;
  keys: KeyRing;
  clientFor: (supplierId: number) => PushClient | Promise<PushClient>;
  clock: () => number;
  logger: Logger;
  policy?: Partial<PushPolicy>;
  random?: () => number;
};

export type PriceCheck = { sku: string; storedPriceFen: number; supplierPriceFen: number | null };

const PRICE_MISMATCH = "价格不一致";

export const isOpen = (state: OrderState) => state !== "confirmed" && state !== "failed";

/** The supplier's own words, without the code the client put in front. */
const descOf = (e: SupplierError) => e.detail.replace(/^\d{4}\s+/, "");

export type OrderPush = ReturnType<typeof createOrderPush>;

/**
 * The push as a persisted state machine (§5 S-11, S-12):
 * created → submitting → submitted → confirming → confirmed, or failed with the supplier's reason.
 * Each step writes its state before the supplier call, so a crash anywhere resumes from the row:
 * submitting resubmits the same yggc_order (the supplier answers with the order it already has),
 * confirming confirms again (confirming twice succeeds). An unknown outcome stays in its state and
 * comes back after a backoff. Writes are fenced by the lease, so a pusher that lost it writes nothing.
 */
export function createOrderPush(deps: PushDeps) {
  const policy: PushPolicy = { ...DEFAULT_PUSH_POLICY, ...deps.policy };
  const random = deps.random ?? Math.random;
  const log = deps.logger.child({ module: "order-push" });

  type Ctx = { owner: string; actor: string };

  const write = (order: OrderRow, ctx: Ctx, patch: OrderPatch, event: Omit<NewOrderEvent, "at" | "actor" | "fromState"> | null) => {
    const now = deps.clock();
    return deps.repo.apply(order.id, ctx.owner, now, policy.leaseMs, patch, event && { at: now, actor: ctx.actor, fromState: order.state, ...event });
  };

  const submission = (order: OrderRow): OrderSubmission => {
    const c = openConsignee(deps.keys, order.consigneeEnc);
    const bank = openInvoiceBank(deps.keys, order.invoiceEnc);
    const lines = JSON.parse(order.linesJson) as OrderLine[];
    return {
      yggc_order: order.yggcOrder,
      sku: lines.map((l) => ({ sku: l.sku, num: l.num, priceFen: l.priceFen })),
      name: c.name,
      province: order.province,
      city: order.city,
      county: order.county,
      town: order.town ?? undefined,
      address: c.address,
      zip: c.zip,
      phone: c.phone,
      mobile: c.mobile,
      email: c.email,
      remark: order.remark ?? undefined,
      dep_name: order.depName ?? undefined,
      invoice_title: order.invoiceTitle,
      invoice_type: order.invoiceType,
      invoice_org_code: order.invoiceOrgCode,
      ...(bank ?? {}),
      payment: order.payment,
      orderPriceFen: order.orderPriceFen,
      freightFen: order.freightFen,
    };
  };

  /** Calls the supplier; a missing connection is an attempt that was never sent (retried later). */
  const call = async <T>(order: OrderRow, operation: "submitOrder" | "confirmOrder", work: (c: PushClient) => Promise<CallResult<T>>) => {
    const started = performance.now();
    let answer: CallResult<T>;
    try {
      answer = await work(await deps.clientFor(order.supplierId));
    } catch (e) {
      const message = `not sent: ${e instanceof Error ? e.message : String(e)}`;
      answer = {
        ok: false,
        error: new SupplierError({ supplier: String(order.supplierId), operation, endpoint: operation, kind: "network", message, retryable: true }),
      };
    }
    return { answer, durationMs: Math.round(performance.now() - started) };
  };

  /** S-10 for the refused lines, recorded for staff; the stored price is never changed here. */
  const priceCheck = async (order: OrderRow): Promise<{ checks: PriceCheck[]; note: string }> => {
    const lines = JSON.parse(order.linesJson) as OrderLine[];
    let answer: CallResult<Array<{ sku: string; price: number }>>;
    try {
      answer = await (await deps.clientFor(order.supplierId)).prices(lines.map((l) => l.sku));
    } catch (e) {
      return { checks: [], note: `price refresh (S-10) not sent: ${e instanceof Error ? e.message : String(e)}` };
    }
    if (!answer.ok) return { checks: [], note: `price refresh (S-10) failed: ${answer.error.detail}` };
    const current = new Map(answer.value.map((p) => [p.sku, yuanToFen(p.price)]));
    const checks = lines.map((l) => ({ sku: l.sku, storedPriceFen: l.priceFen, supplierPriceFen: current.get(l.sku) ?? null }));
    const differing = checks.filter((c) => c.supplierPriceFen !== c.storedPriceFen);
    const note =
      differing.length === 0 ? "S-10 shows no difference" : differing.map((c) => `${c.sku} ${c.storedPriceFen}→${c.supplierPriceFen ?? "gone"} fen`).join(", ");
    return { checks, note };
  };

  /**
   * A configuration failure (our signature, platformCode, a field, the credentials) is no fault of
   * the order: the supplier's pushes pause, an alert goes out, and the order waits where it is,
   * its attempt not counted, until an admin resumes the supplier.
   */
  const pauseSupplier = async (
    order: OrderRow,
    ctx: Ctx,
    step: "submit" | "confirm",
    error: SupplierError,
    answer: Omit<NewOrderEvent, "at" | "actor" | "fromState" | "toState" | "step">,
  ) => {
    const now = deps.clock();
    const reason = `${error.endpoint}: ${error.detail}`;
    if ((await deps.repo.pause({ supplierId: order.supplierId, since: now, code: error.code ?? null, reason, yggcOrder: order.yggcOrder })).created) {
      log.error(
        {
          alert: "supplier_order_pushes_paused",
          supplierId: order.supplierId,
          supplier: error.supplier,
          code: error.code ?? null,
          reason,
          yggcOrder: order.yggcOrder,
          failureClass: error.failureClass,
        },
        "order.push.supplier_paused",
      );
    }
    return write(
      order,
      ctx,
      { pushAttempts: Math.max(0, order.pushAttempts - 1), nextAttemptAt: now },
      {
        toState: order.state,
        step,
        ...answer,
        supplierDesc: `${descOf(error)} (configuration: order pushes to this supplier paused until an admin resumes them)`,
      },
    );
  };

  /**
   * Settles a failed call by what it means (failure-class.ts): a signed business refusal fails the
   * order for good; a configuration failure pauses the supplier; anything else (transient, re-login,
   * unsigned, malformed) stays in its state and comes back after a backoff, or gives up at the limit.
   */
  const settleFailure = async (order: OrderRow, ctx: Ctx, step: "submit" | "confirm", error: SupplierError, durationMs: number) => {
    const answer = { supplierCode: error.code ?? null, supplierDesc: descOf(error), errorKind: error.kind, durationMs };
    if (error.failureClass === "business") {
      const failed = { state: "failed" as const, failureKind: "refused" as const, failureCode: error.code ?? null, failureReason: descOf(error) };
      if (step === "submit" && error.detail.includes(PRICE_MISMATCH)) {
        const marked = await write(order, ctx, failed, { toState: "failed", step, ...answer });
        if (!marked) return undefined;
        const check = await priceCheck(marked);
        return write(marked, ctx, { priceCheckJson: JSON.stringify(check.checks) }, { toState: "failed", step: "price-check", supplierDesc: check.note });
      }
      return write(order, ctx, failed, { toState: "failed", step, ...answer });
    }
    if (error.failureClass === "configuration") return pauseSupplier(order, ctx, step, error, answer);
    if (order.pushAttempts >= policy.maxAttempts) {
      const reason =
        `gave up after ${order.pushAttempts} attempts, outcome unknown (${error.failureClass}): ${error.detail}` +
        (step === "submit" ? " (a retry resubmits the same yggc_order)" : "");
      return write(
        order,
        ctx,
        { state: "failed", failureKind: "gave_up", failureCode: error.code ?? null, failureReason: reason },
        { toState: "failed", step, ...answer },
      );
    }
    const delay = backoffDelayMs(
      { maxAttempts: policy.maxAttempts, baseDelayMs: policy.baseDelayMs, maxDelayMs: policy.maxDelayMs },
      order.pushAttempts,
      random,
    );
    return write(
      order,
      ctx,
      { nextAttemptAt: deps.clock() + delay },
      { toState: order.state, step, ...answer, supplierDesc: `${answer.supplierDesc} (${error.failureClass}: retried after a backoff)` },
    );
  };

  /**
   * §6: stock (S-8) is read again right before the first submit. A line the supplier says it
   * cannot deliver fails the order with 库存不足 before anything is reserved; if S-8 itself fails,
   * the submit goes ahead and the supplier's own check decides.
   */
  const stockShortfall = async (order: OrderRow): Promise<string | null> => {
    const lines = JSON.parse(order.linesJson) as OrderLine[];
    const area = `${order.province}_${order.city}_${order.county}`;
    let answer: Awaited<ReturnType<PushClient["stocks"]>>;
    try {
      answer = await (
        await deps.clientFor(order.supplierId)
      ).stocks(
        lines.map((l) => l.sku),
        area,
      );
    } catch {
      return null;
    }
    if (!answer.ok) return null;
    const bySku = new Map(answer.value.map((st) => [st.sku, st]));
    const short = lines.filter((l) => {
      const st = bySku.get(l.sku);
      return st !== undefined && (st.desc === "无货" || (st.num >= 0 && st.num < l.num));
    });
    return short.length === 0 ? null : `库存不足 (S-8): ${short.map((l) => `${l.sku} 需 ${l.num}，有 ${bySku.get(l.sku)?.num ?? 0}`).join("; ")}`;
  };

  const submit = async (order: OrderRow, ctx: Ctx) => {
    if (order.state === "created") {
      const shortfall = await stockShortfall(order);
      if (shortfall)
        return write(
          order,
          ctx,
          { state: "failed", failureKind: "refused", failureCode: null, failureReason: shortfall },
          { toState: "failed", step: "stock-check", supplierDesc: shortfall },
        );
    }
    // Written before the call: from here on a crash resumes by resubmitting the same yggc_order.
    const before = await write(
      order,
      ctx,
      { state: "submitting", pushAttempts: order.pushAttempts + 1 },
      order.state === "submitting" ? null : { toState: "submitting", step: "submit" },
    );
    if (!before) return undefined;
    const { answer, durationMs } = await call(before, "submitOrder", (c) => c.submitOrder(submission(before)));
    if (!answer.ok) return settleFailure(before, ctx, "submit", answer.error, durationMs);
    const r = answer.value;
    if (r.yggc_order !== before.yggcOrder) {
      const error = new SupplierError({
        supplier: String(before.supplierId),
        operation: "submitOrder",
        endpoint: "S-11",
        kind: "contract",
        field: "result.yggc_order",
        message: `answered for ${r.yggc_order}`,
        retryable: true,
      });
      return settleFailure(before, ctx, "submit", error, durationMs);
    }
    // §5 S-11: confirm only the order we sent. Any other figure stops here, before S-12, for staff.
    const check = checkSubmitAnswer({ lines: JSON.parse(before.linesJson) as OrderLine[], goodsFen: before.goodsFen, freightFen: before.freightFen }, r);
    if (check.differences.length > 0) {
      const reason = `S-11 answer differs from the order sent: ${check.differences.join("; ")}`;
      log.warn({ orderId: before.id, yggcOrder: before.yggcOrder, mallOrderId: r.mall_order_id, differences: check.differences }, "order.push.answer_mismatch");
      return write(
        before,
        ctx,
        {
          state: "failed",
          failureKind: "mismatch",
          failureCode: null,
          failureReason: reason,
          mallOrderId: r.mall_order_id,
          answerCheckJson: JSON.stringify(check),
        },
        {
          toState: "failed",
          step: "answer-check",
          mallOrderId: r.mall_order_id,
          supplierDesc: `${reason} | ours ${JSON.stringify(check.ours)} | supplier ${JSON.stringify(check.theirs)}`,
          durationMs,
        },
      );
    }
    return write(
      before,
      ctx,
      { state: "submitted", mallOrderId: r.mall_order_id, submittedAt: deps.clock(), pushAttempts: 0, nextAttemptAt: deps.clock() },
      {
        toState: "submitted",
        step: "submit",
        mallOrderId: r.mall_order_id,
        supplierCode: 0,
        supplierDesc: `订单金额 ${r.orderPrice} 元，运费 ${r.freight} 元`,
        durationMs,
      },
    );
  };

  const confirm = async (order: OrderRow, ctx: Ctx) => {
    const mallOrderId = order.mallOrderId;
    if (mallOrderId === null)
      return write(
        order,
        ctx,
        { state: "submitting", nextAttemptAt: deps.clock() },
        { toState: "submitting", step: "confirm", supplierDesc: "no supplier order id recorded; resubmitting" },
      );
    const before = await write(
      order,
      ctx,
      { state: "confirming", pushAttempts: order.pushAttempts + 1 },
      order.state === "confirming" ? null : { toState: "confirming", step: "confirm", mallOrderId },
    );
    if (!before) return undefined;
    const { answer, durationMs } = await call(before, "confirmOrder", (c) => c.confirmOrder(mallOrderId));
    if (!answer.ok) return settleFailure(before, ctx, "confirm", answer.error, durationMs);
    return write(
      before,
      ctx,
      { state: "confirmed", confirmedAt: deps.clock(), pushAttempts: 0 },
      { toState: "confirmed", step: "confirm", mallOrderId, supplierCode: 0, durationMs },
    );
  };

  /** One supplier call for an order this owner holds; undefined when the lease was lost. */
  const step = (order: OrderRow, ctx: Ctx): Promise<OrderRow | undefined> => {
    switch (order.state) {
      case "created":
      case "submitting":
        return submit(order, ctx);
      case "submitted":
      case "confirming":
        return confirm(order, ctx);
      default:
        return Promise.resolve(order);
    }
  };

  return {
    policy,

    /**
     * Pushes a claimed order as far as it goes now: until confirmed, failed, or waiting on a backoff.
     * `now: true` (staff by hand) takes the first step even while a backoff is pending.
     */
    async pushClaimed(claimed: OrderRow, owner: string, actor: string, options: { now?: boolean } = {}): Promise<OrderRow> {
      const ctx = { owner, actor };
      let order = claimed;
      let first = options.now === true;
      try {
        // A paused supplier takes no further step: its orders wait for an admin to resume it.
        while (isOpen(order.state) && (first || order.nextAttemptAt <= deps.clock()) && !(await deps.repo.pauseOf(order.supplierId))) {
          first = false;
          const next = await step(order, ctx);
          if (!next) {
            log.warn({ orderId: order.id, yggcOrder: order.yggcOrder }, "order.push.lease_lost");
            return (await deps.repo.byId(order.id)) ?? order;
          }
          order = next;
        }
        log.info({ orderId: order.id, yggcOrder: order.yggcOrder, state: order.state }, "order.push.settled");
        return order;
      } finally {
        // Not released (the database is away): the lease runs out on its own.
        await deps.repo.release(order.id, owner).catch((err: unknown) => log.warn({ err, orderId: order.id }, "order.push.release_failed"));
      }
    },
  };
}
