import { ErrorCode } from "../../contract/index.js";
import { toDetail } from "../product-model.js";
import { detailFields } from "../conformance-defects.js";
import { type RouteHandler, ok } from "./route-types.js";

/** S-4: one sku's detail; an unknown sku is an error here, unlike the batch calls (§5). */
export const detailStandard: RouteHandler<"detail"> = (input, sim) => {
  const p = sim.products.offered(input.sku);
  if (!p) return { ok: false, failure: { code: ErrorCode.Other, desc: "商品不存在" } }; // §5 S-4 gives this desc word for word
  return ok(detailFields(sim.knobs, toDetail(p)));
};
