import { z } from "zod";
import { AdminError } from "../admin-errors.js";
import { changeListing } from "../product-listing.js";
import { DEFAULT_PAGE, MAX_PAGE, defineRoute, q } from "./route-types.js";

const PRODUCT_READERS = ["admin", "procurement"] as const;
const supplierCode = z.string().trim().regex(/^[A-Za-z0-9_-]{2,32}$/);
const ProductKey = z.object({ supplier: supplierCode, sku: z.string().trim().min(1).max(64) });

const parseJson = (text: string | null): unknown => (text === null ? null : (JSON.parse(text) as unknown));

const listingRoute = (verb: "apply" | "approve" | "refuse", summary: string) =>
  defineRoute({
    method: "POST",
    path: `/products/:supplier/:sku/listing/${verb}`,
    roles: ["admin"],
    tag: "products",
    summary,
    audit: `product.listing_${verb}`,
    atomic: true,
    params: ProductKey,
    body: z.object({ note: z.string().trim().max(200).optional() }),
    handler({ params, body, container }) {
      const change = changeListing(container, params.supplier, params.sku, verb);
      return { body: { sku: params.sku, listingState: change.after }, audit: { summary: { before: { listingState: change.before }, after: { listingState: change.after }, note: body.note } } };
    },
  });

/** The mall's product store as staff search it: status, §7 rejection reasons, the listing step. */
export const productRoutes = [
  defineRoute({
    method: "GET",
    path: "/products",
    roles: PRODUCT_READERS,
    tag: "products",
    summary: "Search by supplier, sku, name, catalog (interfaceCode or catalogId), brand, status and listing state. Cursor: `afterId` = the last row's id.",
    query: z.object({
      supplier: supplierCode.optional(),
      sku: q.text(64).optional(),
      name: q.text(100).optional(),
      catalog: q.text(64).optional(),
      brand: q.text(100).optional(),
      status: z.enum(["active", "rejected", "delisted"]).optional(),
      listingState: z.enum(["none", "applied", "approved", "refused"]).optional(),
      afterId: q.int(0, Number.MAX_SAFE_INTEGER).optional(),
      limit: q.int(1, MAX_PAGE).default(DEFAULT_PAGE),
    }),
    handler({ query, container }) {
      let supplierId: number | undefined;
      if (query.supplier !== undefined) {
        supplierId = container.repos.accounts.supplierByCode(query.supplier)?.id;
        if (supplierId === undefined) throw new AdminError("not_found", `no supplier with code ${query.supplier}`);
      }
      const codeOf = (id: number) => container.repos.accounts.supplierById(id)?.code ?? String(id);
      const rows = container.admin.repo.searchProducts({ ...query, supplierId, interfaceCode: query.catalog }).map(({ rejectionJson, sourceMessageIdsJson: _s, ...p }) => ({
        ...p,
        supplier: codeOf(p.supplierId),
        reasons: parseJson(rejectionJson),
      }));
      const last = rows.at(-1);
      return { body: { products: rows, nextAfterId: rows.length === query.limit && last ? last.id : null } };
    },
  }),
  defineRoute({
    method: "GET",
    path: "/products/:supplier/:sku",
    roles: PRODUCT_READERS,
    tag: "products",
    summary: "One product: detail as received, prices (fen), stock, rejection reasons, listing state, price history.",
    params: ProductKey,
    handler({ params, container }) {
      const supplier = container.repos.accounts.supplierByCode(params.supplier);
      const p = supplier ? container.repos.products.bySku(supplier.id, params.sku) : undefined;
      if (!supplier || !p) throw new AdminError("not_found", `no product ${params.sku} of ${params.supplier}`);
      const { detailJson, attributesJson, promisesJson, imagesJson, rejectionJson, sourceMessageIdsJson, ...rest } = p;
      return {
        body: {
          product: {
            ...rest,
            supplier: supplier.code,
            detail: parseJson(detailJson),
            attributes: parseJson(attributesJson),
            promises: parseJson(promisesJson),
            images: parseJson(imagesJson),
            reasons: parseJson(rejectionJson),
            sourceMessageIds: parseJson(sourceMessageIdsJson),
          },
          stock: container.repos.products.stockOf(supplier.id, p.sku),
          priceHistory: container.repos.products.priceHistoryOf(supplier.id, p.sku),
        },
      };
    },
  }),
  listingRoute("apply", "申请上架: apply a validated (active) product for listing."),
  listingRoute("approve", "Approve an applied listing."),
  listingRoute("refuse", "Refuse an applied listing."),
];
