import { toImages } from "../product-model.js";
import { type RouteHandler, ok } from "./route-types.js";

/** S-9: images with their order; unknown skus are omitted (§3). */
export const images: RouteHandler<"images"> = (input, sim) => ok(sim.products.offeredMany(input.sku).map(toImages));
