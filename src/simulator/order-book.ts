import {
  ErrorCode,
  type OrderSkuLine,
  type SubmitOrderRequest,
  type SubmitOrderResult,
  VAT_INVOICE_FIELDS,
  InvoiceType,
  failure,
  fenToYuan,
  formatBeijingTimestamp,
  yuanToFen,
} from "../contract/index.js";
import type { Outcome } from "./outcome.js";
import type { ProductStore } from "./product-store.js";

export type OrderState = "submitted" | "confirmed";

export type SimOrder = {
  mall_order_id: string;
  yggc_order: string;
  state: OrderState;
  lines: OrderSkuLine[];
  province: string;
  orderPriceFen: number;
  freightFen: number;
  payMoneyFen: number | null;
  submittedAt: string;
  confirmedAt: string | null;
  /** How many times the mall sent this yggc_order (retries and repeats answer the first order). */
  submitCount: number;
  confirmCount: number;
};

const FIRST_ORDER_ID = 8_000_000_001;

const refuse = (desc: string): Outcome<never> => ({ ok: false, failure: { code: ErrorCode.Other, desc } });

/**
 * Pre-orders and confirmations (§5 S-11, S-12). Submit checks every line against the product
 * truth and reserves stock; it is idempotent on yggc_order, and confirm is idempotent too.
 */
export class OrderBook {
  private readonly byYggc = new Map<string, SimOrder>();
  private readonly byId = new Map<string, SimOrder>();
  private nextId = FIRST_ORDER_ID;

  constructor(
    private readonly products: ProductStore,
    private readonly now: () => number,
  ) {}

  /** `duplicate` is the duplicate-order conformance defect: a repeat makes a second order. */
  submit(req: SubmitOrderRequest, options: { duplicate?: boolean } = {}): Outcome<SubmitOrderResult> {
    const existing = this.byYggc.get(req.yggc_order);
    if (existing && !options.duplicate) {
      existing.submitCount++;
      return { ok: true, value: resultOf(existing) };
    }
    const missing = missingFields(req);
    if (missing.length > 0) return { ok: false, failure: failure(ErrorCode.RequiredFieldMissing, missing.join(",")) };

    const checked = this.checkLines(req);
    if (!checked.ok) return checked;
    const freightFen = yuanToFen(req.freight) ?? 0;
    const orderPriceFen = yuanToFen(req.order_price) ?? 0;
    if (orderPriceFen !== checked.value + freightFen) {
      return refuse(`订单金额不一致: order_price ${req.order_price} ≠ 商品金额 ${fenToYuan(checked.value)} + 运费 ${req.freight}`);
    }
    const reserved: Array<[string, number]> = [];
    for (const line of req.sku) {
      const p = this.products.offered(line.sku);
      if (!p) continue;
      if (!this.products.reserve(p, req.province, line.num)) {
        for (const [sku, num] of reserved) {
          const back = this.products.get(sku);
          if (back) this.products.release(back, req.province, num);
        }
        return refuse(`库存不足: ${line.sku}`);
      }
      reserved.push([line.sku, line.num]);
    }
    const order: SimOrder = {
      mall_order_id: String(this.nextId++),
      yggc_order: req.yggc_order,
      state: "submitted",
      lines: req.sku.map((l) => ({ ...l })),
      province: req.province,
      orderPriceFen,
      freightFen,
      payMoneyFen: null,
      submittedAt: formatBeijingTimestamp(this.now()),
      confirmedAt: null,
      submitCount: 1,
      confirmCount: 0,
    };
    this.byYggc.set(order.yggc_order, order);
    this.byId.set(order.mall_order_id, order);
    return { ok: true, value: resultOf(order) };
  }

  confirm(orderId: string, payMoney: number | undefined): Outcome<true> {
    const order = this.byId.get(orderId);
    if (!order) return refuse("订单不存在"); // §5 S-12 gives this desc word for word
    order.confirmCount++;
    if (order.state === "submitted") {
      order.state = "confirmed";
      order.confirmedAt = formatBeijingTimestamp(this.now());
      order.payMoneyFen = payMoney === undefined ? null : yuanToFen(payMoney);
    }
    return { ok: true, value: true };
  }

  get(mallOrderId: string): SimOrder | undefined {
    return this.byId.get(mallOrderId);
  }

  byYggcOrder(yggcOrder: string): SimOrder | undefined {
    return this.byYggc.get(yggcOrder);
  }

  all(): SimOrder[] {
    return [...this.byId.values()].map((o) => structuredClone(o));
  }

  /** The goods total in fen when every line may be sold at its stated price. */
  private checkLines(req: SubmitOrderRequest): Outcome<number> {
    let totalFen = 0;
    const seen = new Set<string>();
    for (const line of req.sku) {
      if (seen.has(line.sku)) return refuse(`商品重复: ${line.sku}`);
      seen.add(line.sku);
      const p = this.products.offered(line.sku);
      if (!p) return refuse(`商品不存在: ${line.sku}`);
      if (p.shelfState !== 1) return refuse(`已下架: ${line.sku}`);
      const priceFen = yuanToFen(line.price);
      if (priceFen !== p.priceFen) return refuse(`价格不一致: ${line.sku} 报价 ${line.price}，协议价 ${fenToYuan(p.priceFen)}`);
      totalFen += p.priceFen * line.num;
    }
    return { ok: true, value: totalFen };
  }
}

/** §5 S-11: one of phone/mobile, and the VAT block for invoice type 2. */
function missingFields(req: SubmitOrderRequest): string[] {
  const missing: string[] = [];
  if (!req.phone && !req.mobile) missing.push("phone|mobile");
  if (req.invoice_type === InvoiceType.VatSpecial) {
    for (const field of VAT_INVOICE_FIELDS) if (!req[field]) missing.push(field);
  }
  return missing;
}

function resultOf(order: SimOrder): SubmitOrderResult {
  const goodsFen = order.orderPriceFen - order.freightFen;
  return {
    mall_order_id: order.mall_order_id,
    yggc_order: order.yggc_order,
    sku: order.lines.map((l) => ({ ...l })),
    orderPrice: fenToYuan(goodsFen),
    freight: fenToYuan(order.freightFen),
  };
}
