import { ErrorCode } from "../../contract/index.js";
import { toAttributes } from "../product-model.js";
import { type RouteHandler, ok } from "./route-types.js";

/** S-5: one row per value, so a multi-select item spans several rows. */
export const productAttributesStandard: RouteHandler<"attributes"> = (input, sim) => {
  const p = sim.products.offered(input.sku);
  if (!p) return { ok: false, failure: { code: ErrorCode.Other, desc: "商品不存在" } }; // §5 S-4 gives this desc word for word
  return ok(toAttributes(p));
};
