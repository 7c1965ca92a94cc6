import { ErrorCode } from "../../contract/index.js";
import { toStock } from "../product-model.js";
import { type RouteHandler, ok } from "./route-types.js";

/** S-8: stock of the batch in one GB/T 2260 county; an area that does not exist is refused. */
export const stocks: RouteHandler<"stocks"> = (input, sim) => {
  if (!sim.isKnownArea(input.area)) return { ok: false, failure: { code: ErrorCode.Other, desc: `地区不存在: ${input.area}` } };
  const province = input.area.slice(0, 6);
  const wanted = input.num ?? 1;
  return ok(sim.products.offeredMany(input.sku).map((p) => toStock(p, input.area, province, wanted)));
};
