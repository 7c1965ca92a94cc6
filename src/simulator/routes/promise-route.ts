import { toPromise } from "../product-model.js";
import { type RouteHandler, ok } from "./route-types.js";

/** S-6: unknown skus are omitted (§3). */
export const productPromise: RouteHandler<"promise"> = (input, sim) => ok(sim.products.offeredMany(input.sku).map(toPromise));
