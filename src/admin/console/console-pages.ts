import type { AdminUserRow } from "../../store/repos/admin-repo.js";
import { routeById } from "../api/route-table.js";
import { mayCall } from "../api/route-runner.js";
import type { ConsolePage } from "./console-kit.js";
import type { NavItem } from "./layout.js";
import { auditPages } from "./pages/audit-pages.js";
import { chartPage } from "./pages/chart-pages.js";
import { dashboardPage } from "./pages/dashboard-page.js";
import { orderPages } from "./pages/order-pages.js";
import { productPages } from "./pages/product-pages.js";
import { supplierPages } from "./pages/supplier-pages.js";
import { syncPages } from "./pages/sync-pages.js";
import { conformancePages } from "./pages/conformance-pages.js";

/** Every console page; /orders/new before /orders/:yggcOrder so express matches it first. */
export const consolePages: readonly ConsolePage[] = [
  dashboardPage,
  chartPage,
  ...supplierPages,
  ...syncPages,
  ...productPages,
  ...orderPages,
  ...conformancePages,
  ...auditPages,
];

const NAV: ReadonlyArray<{ href: string; label: string; route: readonly ["GET", string] }> = [
  { href: "/admin/", label: "仪表盘", route: ["GET", "/dashboard"] },
  { href: "/admin/charts", label: "图表", route: ["GET", "/charts"] },
  { href: "/admin/suppliers", label: "电商", route: ["GET", "/suppliers"] },
  { href: "/admin/sync/runs", label: "同步批次", route: ["GET", "/sync/runs"] },
  { href: "/admin/sync/messages", label: "消息日志", route: ["GET", "/sync/messages"] },
  { href: "/admin/products", label: "商品", route: ["GET", "/products"] },
  { href: "/admin/orders", label: "订单", route: ["GET", "/orders"] },
  { href: "/admin/conformance/runs", label: "对接测试", route: ["GET", "/conformance/runs"] },
  { href: "/admin/audit", label: "审计日志", route: ["GET", "/audit"] },
  { href: "/admin/users", label: "用户", route: ["GET", "/users"] },
];

/** Only the pages this role may open. */
export function navFor(user: AdminUserRow): NavItem[] {
  return NAV.map((n) => ({ href: n.href, label: n.label, visible: mayCall(routeById(n.route[0], n.route[1]), user) }));
}
