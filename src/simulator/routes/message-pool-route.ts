import { type RouteHandler, ok } from "./route-types.js";

/** S-2: up to 100 undeleted messages of the type, oldest first. */
export const getMessagePool: RouteHandler<"messagePool"> = (input, sim) => ok(sim.pool.page(input.type));
