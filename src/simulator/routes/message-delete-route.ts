import { type RouteHandler, ok } from "./route-types.js";

/** S-3: deleting an unknown or already-deleted id succeeds (§3). */
export const delMessagePool: RouteHandler<"messageDelete"> = (input, sim) => {
  sim.pool.delete(input.messageId);
  return ok(true as const);
};
