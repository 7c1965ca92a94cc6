import type { PoolMessage } from "../../contract/index.js";
import { poolPage } from "../conformance-defects.js";
import { type RouteHandler, ok } from "./route-types.js";

/** S-2: up to 100 undeleted messages of the type, oldest first. */
export const getMessagePool: RouteHandler<"messagePool"> = (input, sim) =>
  ok(
    poolPage(sim.knobs, sim.pool.page(input.type), () =>
      sim.pool
        .all()
        .filter((m) => m.type === input.type)
        .map(({ deleted: _deleted, ...m }) => m as PoolMessage),
    ),
  );
