import { z } from "zod";
import { beijingIso } from "../../lib/beijing-time.js";
import type { AccountRepo } from "../../store/repos/account-repo.js";
import type { AdminRepo, ProductSearch } from "../../store/repos/admin-repo.js";
import type { ProductRepo } from "../../store/repos/product-repo.js";
import type { ReferenceRepo } from "../../store/repos/reference-repo.js";
import { AdminError } from "../admin-errors.js";
import { type ListingDeps, changeListing } from "../product-listing.js";
import { parameterChecks } from "../product-review.js";
import { keysetPages } from "./keyset.js";
import { DEFAULT_PAGE, MAX_PAGE, defineRouteWith, q } from "./route-types.js";
import { type SupplierScope, scopedSupplier } from "./supplier-scope.js";
import { ListingChange, ProductDetail, ProductRow } from "./views/product-views.js";

const PRODUCT_READERS = ["admin", "procurement", "supplier"] as const;
const supplierCode = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9_-]{2,32}$/);
const ProductKey = z.object({ supplier: supplierCode, sku: z.string().trim().min(1).max(64) });
const Note = z.object({ note: z.string().trim().max(200).optional() });

const parseJson = (text: string | null): unknown => (text === null ? null : (JSON.parse(text) as unknown));

/** The product store as searched and read, the catalog's parameters and area names, and the listing step. */
export type ProductRouteServices = ListingDeps & {
  accounts: Pick<AccountRepo, "supplierByCode" | "supplierById">;
  products: Pick<ProductRepo, "bySku" | "stockOf" | "priceHistoryOf">;
  productSearch: Pick<AdminRepo, "productPage">;
  reference: Pick<ReferenceRepo, "paramsOfCatalog" | "areaName">;
};

const defineRoute = defineRouteWith<ProductRouteServices>();

const SearchQuery = z.object({
  supplier: supplierCode.optional(),
  sku: q.text(64).optional(),
  name: q.text(100).optional(),
  catalog: q.text(64).optional(),
  brand: q.text(100).optional(),
  status: z.enum(["active", "rejected", "delisted"]).optional(),
  listingState: z.enum(["none", "applied", "approved", "refused"]).optional(),
});
type SearchQuery = z.output<typeof SearchQuery>;

/** The search as the store runs it: a supplier user is always held to its own supplier. */
async function searchOf(
  accounts: ProductRouteServices["accounts"],
  scope: SupplierScope | undefined,
  query: SearchQuery,
): Promise<Omit<ProductSearch, "limit" | "afterId">> {
  const code = scopedSupplier(scope, query.supplier);
  let supplierId: number | undefined;
  if (code !== undefined) {
    supplierId = (await accounts.supplierByCode(code))?.id;
    if (supplierId === undefined) throw new AdminError("not_found", `no supplier with code ${code}`);
  }
  const { supplier: _s, catalog, ...rest } = query;
  return { ...rest, supplierId, interfaceCode: catalog };
}

/** A product of the caller's scope, or not found (another supplier's sku answers as a missing one). */
async function productOf(services: ProductRouteServices, scope: SupplierScope | undefined, key: { supplier: string; sku: string }) {
  const missing = `no product ${key.sku} of ${key.supplier}`;
  if (scope && scope.code !== key.supplier) throw new AdminError("not_found", missing);
  const supplier = await services.accounts.supplierByCode(key.supplier);
  const product = supplier ? await services.products.bySku(supplier.id, key.sku) : undefined;
  if (!supplier || !product) throw new AdminError("not_found", missing);
  return { supplier, product };
}

const listingRoute = (verb: "apply" | "approve" | "refuse", roles: ReadonlyArray<"admin" | "supplier">, summary: string) =>
  defineRoute({
    method: "POST",
    path: `/products/:supplier/:sku/listing/${verb}`,
    roles,
    tag: "products",
    summary,
    audit: `product.listing_${verb}`,
    params: ProductKey,
    body: Note,
    response: ListingChange,
    errors: ["not_found", "conflict"],
    async handler({ params, body, services, scope }) {
      await productOf(services, scope, params);
      // The new state and its audit row in one transaction: neither lands without the other.
      return {
        commitIn: async (tx) => {
          const change = await changeListing(services, tx, params.supplier, params.sku, verb, body.note);
          return {
            body: { sku: params.sku, listingState: change.after, reason: body.note ?? null },
            audit: { summary: { before: { listingState: change.before }, after: { listingState: change.after }, note: body.note } },
          };
        },
      };
    },
  });

/** Every product a search finds, a keyset page at a time (pages cut short by the name scan included). */
const productRows = (productSearch: ProductRouteServices["productSearch"], search: Omit<ProductSearch, "limit" | "afterId">) =>
  keysetPages(async (afterId: number | undefined, limit) => {
    const page = await productSearch.productPage({ ...search, afterId, limit });
    return { rows: page.rows, next: page.nextAfterId };
  });

const codeCache = (accounts: ProductRouteServices["accounts"]) => {
  const codes = new Map<number, Promise<string>>();
  return (id: number): Promise<string> => {
    let code = codes.get(id);
    if (code === undefined) {
      code = accounts.supplierById(id).then((s) => s?.code ?? String(id));
      codes.set(id, code);
    }
    return code;
  };
};

/** The mall's product store as staff search it and a supplier reads its own: status, §7 reasons, the listing step. */
export const productRoutes = [
  defineRoute({
    method: "GET",
    path: "/products",
    roles: PRODUCT_READERS,
    tag: "products",
    summary:
      "Search by supplier, sku, name, catalog (interfaceCode or catalogId), brand, status and listing state (a supplier user: its own only). Keyset cursor: pass `nextAfterId` as `afterId`; a name search under a selective filter may answer fewer rows than `limit` with a `nextAfterId` to go on from (null: nothing more matches).",
    query: SearchQuery.extend({ afterId: q.int(0, Number.MAX_SAFE_INTEGER).optional(), limit: q.int(1, MAX_PAGE).default(DEFAULT_PAGE) }),
    response: z.object({
      products: z.array(ProductRow),
      nextAfterId: z.number().int().nullable().describe("Pass as `afterId` to go on; null: nothing more matches."),
    }),
    errors: ["not_found"],
    async handler({ query, services, scope }) {
      const codeOf = codeCache(services.accounts);
      const search = await searchOf(services.accounts, scope, query);
      const page = await services.productSearch.productPage({ ...search, afterId: query.afterId, limit: query.limit });
      const rows = await Promise.all(
        page.rows.map(async ({ rejectionJson, sourceMessageIdsJson: _s, ...p }) => ({
          ...p,
          supplier: await codeOf(p.supplierId),
          reasons: parseJson(rejectionJson),
        })),
      );
      return { body: { products: rows, nextAfterId: page.nextAfterId } };
    },
  }),
  defineRoute({
    method: "GET",
    path: "/exports/products",
    roles: PRODUCT_READERS,
    tag: "exports",
    summary: "CSV (UTF-8 with BOM) of the products a search finds, streamed: the same filters as GET /products.",
    query: SearchQuery,
    file: { mediaType: "text/csv", description: "products.csv: UTF-8 with BOM, one row per product." },
    errors: ["not_found"],
    async handler({ query, services, scope }) {
      const codeOf = codeCache(services.accounts);
      const search = await searchOf(services.accounts, scope, query);
      const rows = productRows(services.productSearch, search);
      return {
        body: null,
        csv: {
          filename: "products.csv",
          header: [
            "电商",
            "SKU",
            "名称",
            "型号",
            "品目",
            "品牌",
            "状态",
            "上下架",
            "协议价（元）",
            "商城价（元）",
            "上架申请",
            "未通过原因数",
            "更新时间（北京时间）",
          ],
          rows: (async function* () {
            for await (const p of rows) {
              yield [
                await codeOf(p.supplierId),
                p.sku,
                p.name,
                p.model,
                p.interfaceCode,
                p.brandName,
                p.status,
                p.shelfState,
                yuan(p.priceFen),
                yuan(p.mallPriceFen),
                p.listingState,
                (parseJson(p.rejectionJson) as unknown[]).length,
                beijingIso(p.updatedAt),
              ];
            }
          })(),
        },
      };
    },
  }),
  defineRoute({
    method: "GET",
    path: "/exports/rejections",
    roles: PRODUCT_READERS,
    tag: "exports",
    summary: "CSV of every §7 rejection reason (one row per reason) of the rejected products a search finds, streamed.",
    query: SearchQuery.omit({ status: true }),
    file: { mediaType: "text/csv", description: "rejections.csv: UTF-8 with BOM, one row per §7 reason." },
    errors: ["not_found"],
    async handler({ query, services, scope }) {
      const codeOf = codeCache(services.accounts);
      const search = { ...(await searchOf(services.accounts, scope, query)), status: "rejected" as const };
      const rows = productRows(services.productSearch, search);
      return {
        body: null,
        csv: {
          filename: "rejections.csv",
          header: ["电商", "SKU", "名称", "品目", "错误码", "字段", "原因", "更新时间（北京时间）"],
          rows: (async function* () {
            for await (const p of rows) {
              for (const r of parseJson(p.rejectionJson) as Array<{ code?: number; field?: string; message?: string }>) {
                yield [await codeOf(p.supplierId), p.sku, p.name, p.interfaceCode, r.code, r.field, r.message, beijingIso(p.updatedAt)];
              }
            }
          })(),
        },
      };
    },
  }),
  defineRoute({
    method: "GET",
    path: "/products/:supplier/:sku",
    roles: PRODUCT_READERS,
    tag: "products",
    summary:
      "One product: detail and images as received, parameters against the catalog's standard parameters, prices (fen), stock by area, rejection reasons, listing state and reason, price history.",
    params: ProductKey,
    response: ProductDetail,
    errors: ["not_found"],
    async handler({ params, services, scope }) {
      const { supplier, product: p } = await productOf(services, scope, params);
      const { detailJson, attributesJson, promisesJson, imagesJson, rejectionJson, sourceMessageIdsJson, ...rest } = p;
      const reasons = (parseJson(rejectionJson) ?? []) as Array<{ code: number; field: string; message: string }>;
      const attributes = (parseJson(attributesJson) ?? []) as Array<{ attributeID: string; attributeName: string; valueID: string; value: string }>;
      return {
        body: {
          product: {
            ...rest,
            supplier: supplier.code,
            detail: parseJson(detailJson),
            attributes,
            promises: parseJson(promisesJson),
            images: parseJson(imagesJson),
            reasons,
            sourceMessageIds: parseJson(sourceMessageIdsJson),
          },
          supplierDomains: JSON.parse(supplier.domainsJson) as string[],
          parameters: await parameterChecks(services.reference, p.catalogId, attributes, reasons),
          // Each S-8 area (province_city_county codes) with its names from the area table, for people.
          stock: await Promise.all(
            (await services.products.stockOf(supplier.id, p.sku)).map(async (s) => ({
              ...s,
              areaName: (await Promise.all(s.area.split("_").map(async (code) => (await services.reference.areaName(code)) ?? code))).join(" "),
            })),
          ),
          priceHistory: await services.products.priceHistoryOf(supplier.id, p.sku),
        },
      };
    },
  }),
  listingRoute("apply", ["admin", "supplier"], "申请上架: apply a validated (active) product for listing (a supplier user: its own products)."),
  listingRoute("approve", ["admin"], "Approve an applied listing."),
  listingRoute("refuse", ["admin"], "Refuse an applied listing; `note` is the reason the supplier reads (required)."),
];

const yuan = (fen: number | null) => (fen === null ? null : (fen / 100).toFixed(2));
