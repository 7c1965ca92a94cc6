import { orderEcho } from "../conformance-defects.js";
import type { RouteHandler } from "./route-types.js";

/** S-11: pre-order; reserves stock, idempotent on yggc_order. The answer may be changed by a knob. */
export const submitOrder: RouteHandler<"submitOrder"> = (input, sim) => {
  const made = orderEcho(sim.knobs, sim.orders.submit(input, { duplicate: sim.knobs.hasDefect("duplicate-order") }));
  return made.ok ? { ok: true, value: sim.knobs.changeOrderAnswer(made.value) } : made;
};
