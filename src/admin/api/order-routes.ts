import { z } from "zod";
import { OrderInput } from "../../orders/order-input.js";
import type { OrderOutcome } from "../../orders/order-errors.js";
import type { OrderService, OrderView } from "../../orders/order-service.js";
import { orderStates } from "../../store/schema/index.js";
import { AdminError } from "../admin-errors.js";
import { keysetRows } from "./keyset.js";
import { beijingIso } from "../../lib/beijing-time.js";
import { DEFAULT_PAGE, MAX_PAGE, defineRouteWith, q } from "./route-types.js";
import { type SupplierScope, scopedSupplier } from "./supplier-scope.js";
import { OrderDetail, OrderView as OrderViewSchema, SupplierOrderView as SupplierOrderViewSchema } from "./views/order-views.js";
import { PushPauseView } from "./views/supplier-views.js";

/** Orders as the order service takes, pushes and shows them. */
export type OrderRouteServices = { orders: Pick<OrderService, "list" | "show" | "create" | "push" | "retry" | "pauses" | "resume"> };

const defineRoute = defineRouteWith<OrderRouteServices>();

const ORDER_STAFF = ["admin", "procurement"] as const;
const SupplierCode = z.object({
  code: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9_-]{2,32}$/, "2–32 of [A-Za-z0-9_-]"),
});
const ORDER_READERS = ["admin", "procurement", "supplier"] as const;
const YggcOrder = z.object({
  yggcOrder: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9_-]{1,64}$/, "a yggc_order"),
});
/** Keyset cursor of the order list: the last row's createdAt and id, as `nextBefore` answers it. */
const Cursor = z
  .string()
  .trim()
  .regex(/^\d{1,15}~[A-Za-z0-9_-]{1,64}$/, "a cursor from nextBefore")
  .transform((v) => {
    const [at = "0", id = ""] = v.split("~");
    return { createdAt: Number(at), id };
  });
const OrderFilter = z.object({
  state: z.enum(orderStates).optional(),
  supplier: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9_-]{2,32}$/)
    .optional(),
});

function unwrap<T>(outcome: OrderOutcome<T>): T {
  if (outcome.ok) return outcome.value;
  throw outcome.error;
}

/** Before/after of a push, as the audit row keeps it: states and the supplier's order id, no personal data. */
const pushSummary = (o: OrderView) => ({ state: o.state, mall_order_id: o.mall_order_id, failure: o.failure });

/**
 * An order as its supplier may read it: only what S-11 already sent it (and S-12 told it), so the
 * portal never shows a supplier more than the docking contract does; no consignee personal data.
 */
export const supplierOrderView = (o: OrderView) => ({
  yggc_order: o.yggc_order,
  supplier: o.supplier,
  mall_order_id: o.mall_order_id,
  sku: o.lines.map((l) => ({ sku: l.sku, num: l.num, priceFen: l.priceFen })),
  freightFen: o.freightFen,
  orderPriceFen: o.orderPriceFen,
  area: o.area,
  areaNames: o.areaNames,
  dep_name: o.dep_name,
  invoice: o.invoice,
  payment: o.payment,
  remark: o.remark,
  createdAt: o.createdAt,
  submittedAt: o.submittedAt,
  confirmedAt: o.confirmedAt,
});

export type SupplierOrderView = ReturnType<typeof supplierOrderView>;

const viewFor = (scope: SupplierScope | undefined, o: OrderView) => (scope ? supplierOrderView(o) : o);

/** Orders through the order service: create, push now, retry a push that gave up, timeline; a supplier reads its own. */
export const orderRoutes = [
  defineRoute({
    method: "GET",
    path: "/orders",
    roles: ORDER_READERS,
    tag: "orders",
    summary: "Orders, newest first, by state and supplier (a supplier user: its own, S-11 fields only). Keyset cursor: pass `nextBefore` as `before`.",
    query: OrderFilter.extend({ before: Cursor.optional(), limit: q.int(1, MAX_PAGE).default(DEFAULT_PAGE) }),
    response: z.object({
      orders: z.array(z.union([OrderViewSchema, SupplierOrderViewSchema])).describe("A supplier user gets the S-11 view."),
      nextBefore: z.string().nullable().describe("Pass as `before` for the next page; null: no more."),
    }),
    errors: ["not_found"],
    async handler({ query, services, scope }) {
      const orders = unwrap(await services.orders.list({ ...query, supplier: scopedSupplier(scope, query.supplier) }));
      const last = orders.at(-1);
      return {
        body: { orders: orders.map((o) => viewFor(scope, o)), nextBefore: orders.length === query.limit && last ? `${last.createdAt}~${last.id}` : null },
      };
    },
  }),
  defineRoute({
    method: "GET",
    path: "/exports/orders",
    roles: ORDER_READERS,
    tag: "exports",
    summary: "CSV (UTF-8 with BOM) of the orders the filters find, streamed; no personal data.",
    query: OrderFilter,
    file: { mediaType: "text/csv", description: "orders.csv: UTF-8 with BOM, one row per order, no personal data." },
    errors: ["not_found"],
    async handler({ query, services, scope }) {
      const filter = { ...query, supplier: scopedSupplier(scope, query.supplier) };
      unwrap(await services.orders.list({ ...filter, limit: 1 }));
      const rows = keysetRows(
        async (before: { createdAt: number; id: string } | undefined, limit) => unwrap(await services.orders.list({ ...filter, before, limit })),
        (o) => ({ createdAt: o.createdAt, id: o.id }),
      );
      const yuan = (fen: number) => (fen / 100).toFixed(2);
      return {
        body: null,
        csv: {
          filename: "orders.csv",
          header: scope
            ? [
                "yggc_order",
                "电商订单号",
                "商品（SKU×数量）",
                "运费（元）",
                "订单金额（元）",
                "省",
                "市",
                "区县",
                "采购单位",
                "创建时间（北京时间）",
                "确认时间（北京时间）",
              ]
            : [
                "yggc_order",
                "电商",
                "状态",
                "电商订单号",
                "商品（SKU×数量）",
                "运费（元）",
                "订单金额（元）",
                "省",
                "市",
                "区县",
                "采购单位",
                "推送次数",
                "创建人",
                "创建时间（北京时间）",
                "确认时间（北京时间）",
              ],
          rows: (async function* () {
            for await (const o of rows) {
              const items = o.lines.map((l) => `${l.sku}×${l.num}`).join(" ");
              yield scope
                ? [
                    o.yggc_order,
                    o.mall_order_id,
                    items,
                    yuan(o.freightFen),
                    yuan(o.orderPriceFen),
                    o.area.province,
                    o.area.city,
                    o.area.county,
                    o.dep_name,
                    beijingIso(o.createdAt),
                    beijingIso(o.confirmedAt),
                  ]
                : [
                    o.yggc_order,
                    o.supplier,
                    o.state,
                    o.mall_order_id,
                    items,
                    yuan(o.freightFen),
                    yuan(o.orderPriceFen),
                    o.area.province,
                    o.area.city,
                    o.area.county,
                    o.dep_name,
                    o.pushAttempts,
                    o.createdBy,
                    beijingIso(o.createdAt),
                    beijingIso(o.confirmedAt),
                  ];
            }
          })(),
        },
      };
    },
  }),
  defineRoute({
    method: "POST",
    path: "/orders",
    roles: ORDER_STAFF,
    tag: "orders",
    summary:
      "Take an order (supplier, items [{sku,num}], consignee/invoice/payment under their S-11 names). Prices come from the store; stock is asked of the supplier.",
    audit: "order.create",
    body: OrderInput,
    response: z.object({ order: OrderViewSchema }),
    status: 201,
    errors: ["not_found", "conflict", "supplier_unavailable"],
    async handler({ body, services, user }) {
      const order = unwrap(await services.orders.create(body, `admin:${user?.username ?? "?"}`));
      return {
        status: 201,
        body: { order },
        audit: {
          target: order.yggc_order,
          summary: { after: { state: order.state, supplier: order.supplier, orderPriceFen: order.orderPriceFen, lines: order.lines.length } },
        },
      };
    },
  }),
  defineRoute({
    method: "GET",
    path: "/orders/:yggcOrder",
    roles: ORDER_READERS,
    tag: "orders",
    summary: "One order and its timeline (every push step, the supplier's answers); a supplier user reads its own order's S-11 fields only.",
    params: YggcOrder,
    response: z.object({ order: z.union([OrderDetail, SupplierOrderViewSchema]).describe("A supplier user gets the S-11 view, without the timeline.") }),
    errors: ["not_found"],
    async handler({ params, services, scope }) {
      const order = unwrap(await services.orders.show(params.yggcOrder));
      if (scope) {
        if (order.supplier !== scope.code) throw new AdminError("not_found", `no order ${params.yggcOrder}`);
        return { body: { order: supplierOrderView(order) } };
      }
      return { body: { order } };
    },
  }),
  defineRoute({
    method: "POST",
    path: "/orders/:yggcOrder/push",
    roles: ORDER_STAFF,
    tag: "orders",
    summary: "Push the order now (submit → confirm), as far as it goes; a confirmed or failed order is left as it is.",
    audit: "order.push",
    params: YggcOrder,
    response: z.object({ order: OrderViewSchema }),
    errors: ["not_found", "conflict", "supplier_unavailable"],
    async handler({ params, services, user }) {
      const before = unwrap(await services.orders.show(params.yggcOrder));
      const order = unwrap(await services.orders.push(params.yggcOrder, `admin:${user?.username ?? "?"}`));
      return { body: { order }, audit: { summary: { before: pushSummary(before), after: pushSummary(order) } } };
    },
  }),
  defineRoute({
    method: "POST",
    path: "/orders/:yggcOrder/retry",
    roles: ORDER_STAFF,
    tag: "orders",
    summary:
      "Reopen an order that did not fail for a business reason (gave up, or its S-11 answer differed) and push it with the same yggc_order; a refused order is final.",
    audit: "order.retry",
    params: YggcOrder,
    response: z.object({ order: OrderViewSchema }),
    errors: ["not_found", "conflict", "supplier_unavailable"],
    async handler({ params, services, user }) {
      const before = unwrap(await services.orders.show(params.yggcOrder));
      const order = unwrap(await services.orders.retry(params.yggcOrder, `admin:${user?.username ?? "?"}`));
      return { body: { order }, audit: { summary: { before: pushSummary(before), after: pushSummary(order) } } };
    },
  }),
  defineRoute({
    method: "GET",
    path: "/order-pushes",
    roles: ORDER_STAFF,
    tag: "orders",
    summary: "Suppliers whose order pushes are paused by a configuration failure (5004/5006/5013 …), with the cause; their orders wait, still pushable.",
    response: z.object({ pauses: z.array(PushPauseView) }),
    handler: async ({ services }) => ({ body: { pauses: await services.orders.pauses() } }),
  }),
  defineRoute({
    method: "POST",
    path: "/order-pushes/:code/resume",
    roles: ["admin"],
    tag: "orders",
    summary: "Resume a supplier's paused order pushes once its configuration is fixed; its waiting orders are pushed again.",
    audit: "order.resume",
    params: SupplierCode,
    response: z.object({ resumed: PushPauseView }),
    errors: ["not_found", "conflict"],
    // The pause removed and its audit row in one transaction: neither lands without the other.
    handler: ({ params, services }) => ({
      commitIn: async (tx) => {
        const resumed = unwrap(await services.orders.resume(params.code, tx));
        return { body: { resumed }, audit: { target: params.code, summary: { before: { paused: resumed.reason }, after: { paused: null } } } };
      },
    }),
  }),
];
