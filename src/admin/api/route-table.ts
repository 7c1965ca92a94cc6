import { auditRoutes } from "./audit-routes.js";
import { chartRoutes } from "./chart-routes.js";
import { orderFormRoutes } from "./order-form-routes.js";
import { conformanceRoutes } from "./conformance-routes.js";
import { productionRoutes } from "./production-routes.js";
import { orderRoutes } from "./order-routes.js";
import { productRoutes } from "./product-routes.js";
import type { AdminRoute } from "./route-types.js";
import { sessionRoutes, userRoutes } from "./session-routes.js";
import { supplierRoutes } from "./supplier-routes.js";
import { syncRoutes } from "./sync-routes.js";

/**
 * Every admin API route, with the roles allowed to call it: the one table the router mounts,
 * the console reuses, the OpenAPI document describes and the role-walk test walks.
 */
export const adminRoutes: readonly AdminRoute[] = [
  ...sessionRoutes,
  ...userRoutes,
  ...auditRoutes,
  ...chartRoutes,
  ...supplierRoutes,
  ...syncRoutes,
  ...productRoutes,
  ...orderRoutes,
  ...orderFormRoutes,
  ...conformanceRoutes,
  ...productionRoutes,
];

export function routeById(method: AdminRoute["method"], path: string): AdminRoute {
  const route = adminRoutes.find((r) => r.method === method && r.path === path);
  if (!route) throw new Error(`no admin route ${method} ${path}`);
  return route;
}
