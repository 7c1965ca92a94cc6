import { z } from "zod";
import { AdminError } from "../admin-errors.js";
import { defineRoute, q } from "./route-types.js";

const ORDER_STAFF = ["admin", "procurement"] as const;
const areaCode = z.string().trim().regex(/^\d{6,12}$/, "an area code (GB/T 2260)");
/** Enough candidates to pick from; a narrower search finds the rest. */
const CANDIDATES = 20;

/**
 * What the order form needs to be filled without a code table: the suppliers to choose from, the
 * province → city → county cascade from the area table, and products of the chosen supplier found
 * by sku or name with agreement price, shelf state and the stock known for the chosen county.
 */
export const orderFormRoutes = [
  defineRoute({
    method: "GET",
    path: "/order-form",
    roles: ORDER_STAFF,
    tag: "orders",
    summary: "Order form helper: suppliers, the area cascade for the chosen province/city, and products of the chosen supplier matching `q` (sku or name) with agreement price (fen), shelf state and stored stock for the chosen county.",
    query: z.object({ supplier: z.string().trim().regex(/^[A-Za-z0-9_-]{2,32}$/).optional(), q: q.text(100).optional(), province: areaCode.optional(), city: areaCode.optional(), county: areaCode.optional() }),
    handler({ query, container }) {
      const suppliers = container.supplierAccounts.list().filter((s) => s.status === "active").map((s) => ({ code: s.code, name: s.name }));
      const areas = (parent: string) => container.repos.reference.areasByParent(parent).map((a) => ({ code: a.code, name: a.name }));
      const cities = query.province ? areas(query.province) : [];
      const counties = query.city && cities.some((c) => c.code === query.city) ? areas(query.city) : [];
      let products: Array<{ sku: string; name: string | null; priceFen: number | null; shelfState: number | null; status: string; stock: { num: number; description: string; checkedAt: number } | null }> = [];
      if (query.supplier && query.q) {
        const supplier = container.repos.accounts.supplierByCode(query.supplier);
        if (!supplier) throw new AdminError("not_found", `no supplier with code ${query.supplier}`);
        const bySku = container.admin.repo.searchProducts({ supplierId: supplier.id, sku: query.q, limit: 1 });
        const byName = container.admin.repo.searchProducts({ supplierId: supplier.id, name: query.q, limit: CANDIDATES });
        const area = query.province && query.city && query.county ? `${query.province}_${query.city}_${query.county}` : undefined;
        const seen = new Set<string>();
        products = [...bySku, ...byName]
          .filter((p) => !seen.has(p.sku) && Boolean(seen.add(p.sku)))
          .slice(0, CANDIDATES)
          .map((p) => {
            const stock = area ? container.repos.products.stockOf(supplier.id, p.sku).find((s) => s.area === area) : undefined;
            return { sku: p.sku, name: p.name, priceFen: p.priceFen, shelfState: p.shelfState, status: p.status, stock: stock ? { num: stock.num, description: stock.description, checkedAt: stock.checkedAt } : null };
          });
      }
      return { body: { suppliers, provinces: areas("0"), cities, counties, products } };
    },
  }),
];
