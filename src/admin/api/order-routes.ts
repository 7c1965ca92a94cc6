import { z } from "zod";
import { OrderInput } from "../../orders/order-input.js";
import type { OrderOutcome } from "../../orders/order-errors.js";
import type { OrderView } from "../../orders/order-service.js";
import { orderStates } from "../../store/schema/index.js";
import { DEFAULT_PAGE, MAX_PAGE, defineRoute, q } from "./route-types.js";

const ORDER_STAFF = ["admin", "procurement"] as const;
const SupplierCode = z.object({ code: z.string().trim().regex(/^[A-Za-z0-9_-]{2,32}$/, "2–32 of [A-Za-z0-9_-]") });
const YggcOrder = z.object({ yggcOrder: z.string().trim().regex(/^[A-Za-z0-9_-]{1,64}$/, "a yggc_order") });

function unwrap<T>(outcome: OrderOutcome<T>): T {
  if (outcome.ok) return outcome.value;
  throw outcome.error;
}

/** Before/after of a push, as the audit row keeps it: states and the supplier's order id, no personal data. */
const pushSummary = (o: OrderView) => ({ state: o.state, mall_order_id: o.mall_order_id, failure: o.failure });

/** Orders through the order service: create, push now, retry a push that gave up, timeline. */
export const orderRoutes = [
  defineRoute({
    method: "GET",
    path: "/orders",
    roles: ORDER_STAFF,
    tag: "orders",
    summary: "Orders, newest first, by state and supplier. Offset paging.",
    query: z.object({
      state: z.enum(orderStates).optional(),
      supplier: z.string().trim().regex(/^[A-Za-z0-9_-]{2,32}$/).optional(),
      limit: q.int(1, MAX_PAGE).default(DEFAULT_PAGE),
      offset: q.int(0, 1_000_000).default(0),
    }),
    handler: ({ query, container }) => ({ body: { orders: unwrap(container.orders.service.list(query)) } }),
  }),
  defineRoute({
    method: "POST",
    path: "/orders",
    roles: ORDER_STAFF,
    tag: "orders",
    summary: "Take an order (supplier, items [{sku,num}], consignee/invoice/payment under their S-11 names). Prices come from the store; stock is asked of the supplier.",
    audit: "order.create",
    body: OrderInput,
    response: z.object({ order: z.object({ yggc_order: z.string(), state: z.enum(orderStates) }).loose() }),
    async handler({ body, container, user }) {
      const order = unwrap(await container.orders.service.create(body, `admin:${user?.username ?? "?"}`));
      return { status: 201, body: { order }, audit: { target: order.yggc_order, summary: { after: { state: order.state, supplier: order.supplier, orderPriceFen: order.orderPriceFen, lines: order.lines.length } } } };
    },
  }),
  defineRoute({
    method: "GET",
    path: "/orders/:yggcOrder",
    roles: ORDER_STAFF,
    tag: "orders",
    summary: "One order and its timeline (every push step, the supplier's answers).",
    params: YggcOrder,
    handler: ({ params, container }) => ({ body: { order: unwrap(container.orders.service.show(params.yggcOrder)) } }),
  }),
  defineRoute({
    method: "POST",
    path: "/orders/:yggcOrder/push",
    roles: ORDER_STAFF,
    tag: "orders",
    summary: "Push the order now (submit → confirm), as far as it goes; a confirmed or failed order is left as it is.",
    audit: "order.push",
    params: YggcOrder,
    async handler({ params, container, user }) {
      const before = unwrap(container.orders.service.show(params.yggcOrder));
      const order = unwrap(await container.orders.service.push(params.yggcOrder, `admin:${user?.username ?? "?"}`));
      return { body: { order }, audit: { summary: { before: pushSummary(before), after: pushSummary(order) } } };
    },
  }),
  defineRoute({
    method: "POST",
    path: "/orders/:yggcOrder/retry",
    roles: ORDER_STAFF,
    tag: "orders",
    summary: "Reopen an order that did not fail for a business reason (gave up, or its S-11 answer differed) and push it with the same yggc_order; a refused order is final.",
    audit: "order.retry",
    params: YggcOrder,
    async handler({ params, container, user }) {
      const before = unwrap(container.orders.service.show(params.yggcOrder));
      const order = unwrap(await container.orders.service.retry(params.yggcOrder, `admin:${user?.username ?? "?"}`));
      return { body: { order }, audit: { summary: { before: pushSummary(before), after: pushSummary(order) } } };
    },
  }),
  defineRoute({
    method: "GET",
    path: "/order-pushes",
    roles: ORDER_STAFF,
    tag: "orders",
    summary: "Suppliers whose order pushes are paused by a configuration failure (5004/5006/5013 …), with the cause; their orders wait, still pushable.",
    handler: ({ container }) => ({ body: { pauses: container.orders.service.pauses() } }),
  }),
  defineRoute({
    method: "POST",
    path: "/order-pushes/:code/resume",
    roles: ["admin"],
    tag: "orders",
    summary: "Resume a supplier's paused order pushes once its configuration is fixed; its waiting orders are pushed again.",
    audit: "order.resume",
    atomic: true,
    params: SupplierCode,
    handler({ params, container }) {
      const resumed = unwrap(container.orders.service.resume(params.code));
      return { body: { resumed }, audit: { target: params.code, summary: { before: { paused: resumed.reason }, after: { paused: null } } } };
    },
  }),
];
