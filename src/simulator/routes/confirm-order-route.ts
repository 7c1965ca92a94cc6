import { confirmUnknown } from "../conformance-defects.js";
import type { RouteHandler } from "./route-types.js";

/** S-12: confirming twice succeeds; unknown order → 5099 订单不存在. */
export const confirmOrder: RouteHandler<"confirmOrder"> = (input, sim) => confirmUnknown(sim.knobs, sim.orders.confirm(input.order_id, input.pay_money));
