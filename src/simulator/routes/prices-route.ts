import { toPrice } from "../product-model.js";
import { type RouteHandler, ok } from "./route-types.js";

/** S-10: agreement and mall price in yuan; unknown skus are omitted (§3). */
export const prices: RouteHandler<"prices"> = (input, sim) => ok(sim.products.offeredMany(input.sku).map(toPrice));
