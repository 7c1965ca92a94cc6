import { newId } from "../lib/ids.js";
import type { KeyRing } from "../security/key-ring.js";
import type { AccountRepo } from "../store/repos/account-repo.js";
import type { SqlRunner, Transaction } from "../store/sql/sql-store.js";
import type { OrderEventRow, OrderPushPauseRow, OrderRepo, OrderRow, OrderState } from "../store/repos/order-repo.js";
import type { AnswerCheck } from "./order-answer-check.js";
import { OrderError, type OrderOutcome } from "./order-errors.js";
import type { Intake, OrderLine, StockGate } from "./order-intake.js";
import { type OrderPush, type PriceCheck, isOpen } from "./order-push.js";
import { type Consignee, type InvoiceBank, openConsignee, openInvoiceBank } from "./order-personal-data.js";

/** An order as staff see it; personal data only when revealed. Money in fen. */
export type OrderView = {
  id: string;
  yggc_order: string;
  supplier: string;
  state: OrderState;
  mall_order_id: string | null;
  lines: OrderLine[];
  goodsFen: number;
  freightFen: number;
  orderPriceFen: number;
  area: { province: string; city: string; county: string; town: string | null };
  /** The area codes' names from the area table (M-6), for people; null for a code the table lacks. */
  areaNames: { province: string | null; city: string | null; county: string | null };
  dep_name: string | null;
  invoice: { type: number; title: string; org_code: string };
  payment: number;
  remark: string | null;
  failure: { kind: string | null; code: number | null; reason: string | null } | null;
  priceCheck: PriceCheck[] | null;
  /** On a mismatch: our figures and the supplier's S-11 figures, side by side. */
  answerCheck: AnswerCheck | null;
  /** Set while this order's supplier has its order pushes paused (a configuration failure). */
  pushPause: PushPauseView | null;
  pushAttempts: number;
  nextAttemptAt: number;
  createdBy: string;
  createdAt: number;
  submittedAt: number | null;
  confirmedAt: number | null;
  /** Present only when asked to reveal (an authorized display). */
  consignee?: Consignee;
  invoiceBank?: InvoiceBank | null;
};

export type OrderDetail = OrderView & { timeline: OrderEventRow[] };

/** A supplier whose order pushes are paused, and why. */
export type PushPauseView = { supplier: string; since: number; code: number | null; reason: string; yggc_order: string | null };

/** Failure kinds staff may retry with the same yggc_order; a business refusal (refused) is final. */
const RETRYABLE_FAILURES = new Set(["gave_up", "mismatch"]);

/**
 * The production gate as orders see it: `require` throws naming the reason (no mark, suspended,
 * revoked, expired); `refusal` answers that reason as a value (intake's S-8).
 */
export type OrderGate = StockGate & { isOpen(supplierId: number): Promise<boolean>; require(supplierId: number, supplierCode: string): Promise<void> };

export type OrderService = ReturnType<typeof createOrderService>;

/** The one door to orders, shared by the CLI and the admin API: create, push, retry, list, show. */
export function createOrderService(deps: {
  intake: Intake;
  push: OrderPush;
  repo: OrderRepo;
  accounts: AccountRepo;
  keys: KeyRing;
  clock: () => number;
  gate: OrderGate;
  areaName: (code: string) => Promise<string | null>;
}) {
  /** A hand push leases under its own name, so it never collides with a running scheduler. */
  const handOwner = () => newId("hand", 6);

  const supplierCode = async (supplierId: number, tx?: SqlRunner) => (await deps.accounts.supplierById(supplierId, tx))?.code ?? String(supplierId);
  const pauseView = async (p: OrderPushPauseRow, tx?: SqlRunner): Promise<PushPauseView> => ({
    supplier: await supplierCode(p.supplierId, tx),
    since: p.since,
    code: p.code,
    reason: p.reason,
    yggc_order: p.yggcOrder,
  });
  const pauseOf = async (supplierId: number): Promise<PushPauseView | null> => {
    const p = await deps.repo.pauseOf(supplierId);
    return p ? pauseView(p) : null;
  };
  /** Staff cannot push past a pause: the supplier's configuration is fixed first, then resumed. */
  const pausedError = async (o: OrderRow): Promise<OrderOutcome<never> | null> => {
    const p = await pauseOf(o.supplierId);
    if (!p) return null;
    const message = `order pushes to ${p.supplier} are paused since ${new Date(p.since).toISOString()} (${p.reason}); an admin resumes them (orders resume --supplier ${p.supplier})`;
    return { ok: false, error: new OrderError("conflict", message) };
  };

  /** `pause`: the supplier's push pause, shown on an order still open. */
  const view = async (o: OrderRow, pause: PushPauseView | null, reveal = false): Promise<OrderView> => ({
    id: o.id,
    yggc_order: o.yggcOrder,
    supplier: await supplierCode(o.supplierId),
    state: o.state,
    mall_order_id: o.mallOrderId,
    lines: JSON.parse(o.linesJson) as OrderLine[],
    goodsFen: o.goodsFen,
    freightFen: o.freightFen,
    orderPriceFen: o.orderPriceFen,
    area: { province: o.province, city: o.city, county: o.county, town: o.town },
    areaNames: { province: await deps.areaName(o.province), city: await deps.areaName(o.city), county: await deps.areaName(o.county) },
    dep_name: o.depName,
    invoice: { type: o.invoiceType, title: o.invoiceTitle, org_code: o.invoiceOrgCode },
    payment: o.payment,
    remark: o.remark,
    failure: o.state === "failed" ? { kind: o.failureKind, code: o.failureCode, reason: o.failureReason } : null,
    priceCheck: o.priceCheckJson === null ? null : (JSON.parse(o.priceCheckJson) as PriceCheck[]),
    answerCheck: o.answerCheckJson === null ? null : (JSON.parse(o.answerCheckJson) as AnswerCheck),
    pushPause: isOpen(o.state) ? pause : null,
    pushAttempts: o.pushAttempts,
    nextAttemptAt: o.nextAttemptAt,
    createdBy: o.createdBy,
    createdAt: o.createdAt,
    submittedAt: o.submittedAt,
    confirmedAt: o.confirmedAt,
    ...(reveal ? { consignee: openConsignee(deps.keys, o.consigneeEnc), invoiceBank: openInvoiceBank(deps.keys, o.invoiceEnc) } : {}),
  });

  /** The view with its supplier's pause looked up. */
  const viewOf = async (o: OrderRow, reveal = false): Promise<OrderView> => await view(o, isOpen(o.state) ? await pauseOf(o.supplierId) : null, reveal);

  const find = async (yggcOrder: string): Promise<OrderOutcome<OrderRow>> => {
    const o = await deps.repo.byYggcOrder(yggcOrder);
    return o ? { ok: true, value: o } : { ok: false, error: new OrderError("not_found", `no order ${yggcOrder}`) };
  };

  const pushNow = async (order: OrderRow, actor: string): Promise<OrderOutcome<OrderView>> => {
    await deps.gate.require(order.supplierId, (await deps.accounts.supplierById(order.supplierId))?.code ?? String(order.supplierId));
    const paused = await pausedError(order);
    if (paused) return paused;
    const owner = handOwner();
    const claimed = await deps.repo.claim(order.id, owner, deps.clock(), deps.push.policy.leaseMs);
    if (!claimed) return { ok: false, error: new OrderError("conflict", `order ${order.yggcOrder} is being pushed right now; try again shortly`) };
    return { ok: true, value: await viewOf(await deps.push.pushClaimed(claimed, owner, actor, { now: true })) };
  };

  return {
    /** S-8 as the order form asks it: the supplier's live stock of the candidates in the consignee's county. */
    stockIn: deps.intake.stockIn,

    async create(input: unknown, actor: string): Promise<OrderOutcome<OrderView>> {
      const created = await deps.intake.create(input, actor);
      return created.ok ? { ok: true, value: await viewOf(created.value) } : created;
    },

    /** Pushes one order now, as far as it goes; a confirmed or failed order is left as it is. */
    async push(yggcOrder: string, actor: string): Promise<OrderOutcome<OrderView>> {
      const found = await find(yggcOrder);
      if (!found.ok) return found;
      if (!isOpen(found.value.state)) return { ok: true, value: await viewOf(found.value) };
      return pushNow(found.value, actor);
    },

    /**
     * Puts an order that did not fail for a business reason back where it stopped and pushes it,
     * with the same yggc_order (the supplier answers a resubmit with the order it already made).
     * A mismatch resubmits too, so the supplier's answer is checked again before any confirm. A
     * refused order is final: the supplier said no, so staff decide and place a new order instead.
     */
    async retry(yggcOrder: string, actor: string): Promise<OrderOutcome<OrderView>> {
      const found = await find(yggcOrder);
      if (!found.ok) return found;
      const order = found.value;
      if (isOpen(order.state)) return pushNow(order, actor);
      if (order.state !== "failed" || order.failureKind === null || !RETRYABLE_FAILURES.has(order.failureKind)) {
        const why =
          order.failureKind === "refused"
            ? "the supplier refused it for a business reason, which is final"
            : "only an order that did not fail for a business reason can be retried";
        return {
          ok: false,
          error: new OrderError("conflict", `order ${yggcOrder} is ${order.state}${order.failureKind ? ` (${order.failureKind})` : ""}; ${why}`),
        };
      }
      await deps.gate.require(order.supplierId, (await deps.accounts.supplierById(order.supplierId))?.code ?? String(order.supplierId));
      const paused = await pausedError(order);
      if (paused) return paused;
      const owner = handOwner();
      const now = deps.clock();
      const leaseMs = deps.push.policy.leaseMs;
      if (!(await deps.repo.claim(order.id, owner, now, leaseMs)))
        return { ok: false, error: new OrderError("conflict", `order ${yggcOrder} is being handled right now`) };
      const resume = order.mallOrderId === null || order.failureKind === "mismatch" ? "submitting" : "confirming";
      const reopened = await deps.repo.apply(
        order.id,
        owner,
        now,
        leaseMs,
        { state: resume, failureKind: null, failureCode: null, failureReason: null, answerCheckJson: null, pushAttempts: 0, nextAttemptAt: now },
        { at: now, actor, fromState: "failed", toState: resume, step: "retry", supplierDesc: order.failureReason },
      );
      if (!reopened) return { ok: false, error: new OrderError("conflict", `order ${yggcOrder} was taken over while reopening`) };
      return { ok: true, value: await viewOf(await deps.push.pushClaimed(reopened, owner, actor, { now: true })) };
    },

    async list(
      filter: { state?: OrderState; supplier?: string; limit?: number; offset?: number; before?: { createdAt: number; id: string } } = {},
    ): Promise<OrderOutcome<OrderView[]>> {
      let supplierId: number | undefined;
      if (filter.supplier !== undefined) {
        const s = await deps.accounts.supplierByCode(filter.supplier);
        if (!s) return { ok: false, error: new OrderError("not_found", `no supplier with code ${filter.supplier}`) };
        supplierId = s.id;
      }
      const rows = await deps.repo.list({ state: filter.state, supplierId, limit: filter.limit ?? 50, offset: filter.offset, before: filter.before });
      const paused = new Map(await Promise.all((await deps.repo.pauses()).map(async (p) => [p.supplierId, await pauseView(p)] as const)));
      const views: OrderView[] = [];
      for (const o of rows) views.push(await view(o, paused.get(o.supplierId) ?? null));
      return { ok: true, value: views };
    },

    /** One order with its timeline; `reveal` decrypts personal data (authorized display only). */
    async show(yggcOrder: string, options: { reveal?: boolean } = {}): Promise<OrderOutcome<OrderDetail>> {
      const found = await find(yggcOrder);
      if (!found.ok) return found;
      return { ok: true, value: { ...(await viewOf(found.value, options.reveal === true)), timeline: await deps.repo.events(found.value.id) } };
    },

    counts: () => deps.repo.countByState(),

    /** Suppliers whose order pushes are paused, oldest first. */
    pauses: async (): Promise<PushPauseView[]> => Promise.all((await deps.repo.pauses()).map((p) => pauseView(p))),

    /** An admin resumes a paused supplier: its waiting orders are due at once. In `tx` when given, beside its audit row. */
    async resume(supplier: string, tx?: Transaction): Promise<OrderOutcome<PushPauseView>> {
      const s = await deps.accounts.supplierByCode(supplier, tx);
      if (!s) return { ok: false, error: new OrderError("not_found", `no supplier with code ${supplier}`) };
      const removed = await deps.repo.resume(s.id, tx);
      if (!removed) return { ok: false, error: new OrderError("conflict", `order pushes to ${supplier} are not paused`) };
      return { ok: true, value: await pauseView(removed, tx) };
    },
  };
}
