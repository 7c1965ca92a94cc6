import { type AuditRouteServices, auditRoutes } from "./audit-routes.js";
import { type ChartRouteServices, chartRoutes } from "./chart-routes.js";
import { type OrderFormRouteServices, orderFormRoutes } from "./order-form-routes.js";
import { type ConformanceRouteServices, conformanceRoutes } from "./conformance-routes.js";
import { type ProductionRouteServices, productionRoutes } from "./production-routes.js";
import { type OrderRouteServices, orderRoutes } from "./order-routes.js";
import { type ProductRouteServices, productRoutes } from "./product-routes.js";
import type { AdminRoute } from "./route-types.js";
import { type SessionRouteServices, type UserRouteServices, sessionRoutes, userRoutes } from "./session-routes.js";
import { type SupplierRouteServices, supplierRoutes } from "./supplier-routes.js";
import { type SyncRouteServices, syncRoutes } from "./sync-routes.js";

/**
 * Everything the routes below reach, each module's own slice joined: what route-services.ts wires
 * from the container. A module asking for more than this is refused by the table's type.
 */
export type AdminRouteServices = SessionRouteServices &
  UserRouteServices &
  AuditRouteServices &
  ChartRouteServices &
  SupplierRouteServices &
  SyncRouteServices &
  ProductRouteServices &
  OrderRouteServices &
  OrderFormRouteServices &
  ConformanceRouteServices &
  ProductionRouteServices;

/**
 * Every admin API route, with the roles allowed to call it: the one table the router mounts,
 * the console reuses, the OpenAPI document describes and the role-walk test walks.
 */
export const adminRoutes: ReadonlyArray<AdminRoute<AdminRouteServices>> = [
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

export function routeById(method: AdminRoute<AdminRouteServices>["method"], path: string): AdminRoute<AdminRouteServices> {
  const route = adminRoutes.find((r) => r.method === method && r.path === path);
  if (!route) throw new Error(`no admin route ${method} ${path}`);
  return route;
}
