import { z } from "zod";
import type { SupplierAccounts } from "../../accounts/supplier-accounts.js";
import { whyNotOrderable } from "../../orders/order-intake.js";
import type { OrderService } from "../../orders/order-service.js";
import type { AccountRepo } from "../../store/repos/account-repo.js";
import type { AdminRepo } from "../../store/repos/admin-repo.js";
import type { ReferenceRepo } from "../../store/repos/reference-repo.js";
import { AdminError } from "../admin-errors.js";
import { defineRouteWith, q } from "./route-types.js";

const ORDER_STAFF = ["admin", "procurement"] as const;
const areaCode = z
  .string()
  .trim()
  .regex(/^\d{6,12}$/, "an area code (GB/T 2260)");
/** Enough candidates to pick from; a narrower search finds the rest. */
const CANDIDATES = 20;
const AreaOption = z.object({ code: z.string(), name: z.string() });

/** The supplier's S-8 answer for one sku in the chosen county: `num` -1 is unknown, `desc` 有货/无货. */
export type OrderFormStock = { num: number; description: string; stockStateId: number | null; checkedAt: number };
export type OrderFormProduct = {
  sku: string;
  name: string | null;
  priceFen: number | null;
  shelfState: number | null;
  status: string;
  orderable: boolean;
  stock: OrderFormStock | null;
};

/** The suppliers to order from, the area cascade, their products, and their stock asked live. */
export type OrderFormRouteServices = {
  supplierAccounts: Pick<SupplierAccounts, "list">;
  accounts: Pick<AccountRepo, "supplierByCode">;
  reference: Pick<ReferenceRepo, "areasByParent">;
  productSearch: Pick<AdminRepo, "searchProducts">;
  orders: Pick<OrderService, "stockIn">;
};

const defineRoute = defineRouteWith<OrderFormRouteServices>();

/**
 * What the order form needs to be filled without a code table: the suppliers to choose from, the
 * province → city → county cascade from the area table, and products of the chosen supplier found
 * by sku or name with agreement price, shelf state and the supplier's stock in the chosen county.
 */
export const orderFormRoutes = [
  defineRoute({
    method: "GET",
    path: "/order-form",
    roles: ORDER_STAFF,
    tag: "orders",
    summary:
      "Order form helper: suppliers, the area cascade for the chosen province/city, and products of the chosen supplier matching `q` (sku or name) with agreement price (fen), shelf state, whether it can be ordered, and the supplier's stock in the chosen county asked live (S-8; `stockError` says why it could not be asked).",
    query: z.object({
      supplier: z
        .string()
        .trim()
        .regex(/^[A-Za-z0-9_-]{2,32}$/)
        .optional(),
      q: q.text(100).optional(),
      province: areaCode.optional(),
      city: areaCode.optional(),
      county: areaCode.optional(),
    }),
    response: z.object({
      suppliers: z.array(z.object({ code: z.string(), name: z.string() })),
      provinces: z.array(AreaOption),
      cities: z.array(AreaOption),
      counties: z.array(AreaOption),
      products: z.array(
        z.object({
          sku: z.string(),
          name: z.string().nullable(),
          priceFen: z.number().int().nullable().describe("agreement price, fen"),
          shelfState: z.number().int().nullable(),
          status: z.string(),
          orderable: z.boolean(),
          stock: z
            .object({
              num: z.number().int().describe("-1: unknown"),
              description: z.string().describe("有货/无货"),
              stockStateId: z.number().int().nullable(),
              checkedAt: z.number().int(),
            })
            .nullable(),
        }),
      ),
      stockArea: z.string().nullable().describe("province_city_county, when a county of the cascade is chosen."),
      stockError: z.string().nullable().describe("Why the supplier's stock could not be asked."),
    }),
    errors: ["not_found"],
    async handler({ query, services }) {
      const suppliers = (await services.supplierAccounts.list()).filter((s) => s.status === "active").map((s) => ({ code: s.code, name: s.name }));
      const areas = async (parent: string) => (await services.reference.areasByParent(parent)).map((a) => ({ code: a.code, name: a.name }));
      const cities = query.province ? await areas(query.province) : [];
      const counties = query.city && cities.some((c) => c.code === query.city) ? await areas(query.city) : [];
      // Only a county of the cascade is asked about: a made-up area would spend a call on a refusal.
      const stockArea =
        query.province && query.city && query.county && counties.some((c) => c.code === query.county)
          ? `${query.province}_${query.city}_${query.county}`
          : null;
      let stockError: string | null = null;
      let products: OrderFormProduct[] = [];
      if (query.supplier && query.q) {
        const supplier = await services.accounts.supplierByCode(query.supplier);
        if (!supplier) throw new AdminError("not_found", `no supplier with code ${query.supplier}`);
        const bySku = await services.productSearch.searchProducts({ supplierId: supplier.id, sku: query.q, limit: 1 });
        const byName = await services.productSearch.searchProducts({ supplierId: supplier.id, name: query.q, limit: CANDIDATES });
        const seen = new Set<string>();
        const found = [...bySku, ...byName]
          .filter((p) => !seen.has(p.sku) && Boolean(seen.add(p.sku)))
          .slice(0, CANDIDATES)
          .map((p) => ({ p, orderable: whyNotOrderable(p) === null }));
        const orderable = found.filter((f) => f.orderable).map((f) => f.p.sku);
        // Stock is the supplier's to tell (S-8), asked live for the county chosen; only for what can be ordered.
        const stock = new Map<string, OrderFormStock>();
        if (stockArea && orderable.length > 0) {
          const answer = await services.orders.stockIn(supplier, orderable, stockArea);
          if (answer.ok)
            for (const s of answer.value.items)
              stock.set(s.sku, { num: s.num, description: s.desc, stockStateId: s.stockStateId ?? null, checkedAt: answer.value.checkedAt });
          else stockError = answer.error.message;
        }
        products = found.map(({ p, orderable }) => ({
          sku: p.sku,
          name: p.name,
          priceFen: p.priceFen,
          shelfState: p.shelfState,
          status: p.status,
          orderable,
          stock: stock.get(p.sku) ?? null,
        }));
      }
      return { body: { suppliers, provinces: await areas("0"), cities, counties, products, stockArea, stockError } };
    },
  }),
];
