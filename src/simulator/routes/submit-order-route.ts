import type { RouteHandler } from "./route-types.js";

/** S-11: pre-order; reserves stock, idempotent on yggc_order. */
export const submitOrder: RouteHandler<"submitOrder"> = (input, sim) => sim.orders.submit(input);
