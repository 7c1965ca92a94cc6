import { toShelfState } from "../product-model.js";
import { type RouteHandler, ok } from "./route-types.js";

/** S-7: 1 上架 / 0 下架; unknown skus are omitted (§3). */
export const shelfStates: RouteHandler<"shelfStates"> = (input, sim) => ok(sim.products.offeredMany(input.sku).map(toShelfState));
