import { deleteRefusal } from "../conformance-defects.js";
import { type RouteHandler, ok } from "./route-types.js";

/** S-3: deleting an unknown or already-deleted id succeeds (§3). */
export const delMessagePool: RouteHandler<"messageDelete"> = (input, sim) => {
  const refusal = deleteRefusal(sim.knobs, () => {
    const ids = new Set(input.messageId);
    return sim.pool
      .all()
      .filter((m) => m.deleted && ids.has(m.id))
      .map((m) => m.id);
  });
  if (refusal) return { ok: false, failure: refusal };
  sim.pool.delete(input.messageId);
  return ok(true as const);
};
