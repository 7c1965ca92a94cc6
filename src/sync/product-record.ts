import { type PriceItem, type ProductAttribute, type ProductDetail, type ProductImages, type ProductPromise, yuanToFen } from "../contract/index.js";
import type { NewProductRow, ProductRow } from "../store/repos/product-repo.js";
import type { ProductSnapshot, RejectionReason } from "./product-validation.js";

/** How many message ids a product keeps as its provenance. */
const SOURCE_IDS_KEPT = 10;

export function withSource(prior: ProductRow | undefined, messageIds: readonly string[]): string {
  const before = prior ? (JSON.parse(prior.sourceMessageIdsJson) as string[]) : [];
  return JSON.stringify([...before, ...messageIds].slice(-SOURCE_IDS_KEPT));
}

/** The stored parts of a product, to re-validate it when only its price or detail changed. */
export function snapshotOf(row: ProductRow): ProductSnapshot | null {
  if (!row.detailJson) return null;
  return {
    detail: JSON.parse(row.detailJson) as ProductDetail,
    attributes: row.attributesJson ? (JSON.parse(row.attributesJson) as ProductAttribute[]) : [],
    promise: row.promisesJson ? (JSON.parse(row.promisesJson) as ProductPromise) : undefined,
    images: row.imagesJson ? ({ sku: row.sku, images: JSON.parse(row.imagesJson) } as ProductImages) : undefined,
    price: row.priceFen !== null && row.mallPriceFen !== null ? { sku: row.sku, price: row.priceFen / 100, mall_price: row.mallPriceFen / 100 } : undefined,
  };
}

const fen = (amount: number | undefined): number | null => (amount === undefined ? null : yuanToFen(amount));

/** A whole product row from a validated snapshot; status follows the reasons (§6). */
export function productRow(args: {
  supplierId: number;
  sku: string;
  snapshot: ProductSnapshot;
  shelfState: number | null;
  reasons: readonly RejectionReason[];
  prior: ProductRow | undefined;
  messageIds: readonly string[];
  now: number;
  read: { detail: boolean; price: boolean; shelf: boolean };
}): NewProductRow {
  const { snapshot: s, prior, now } = args;
  const images = [...(s.images?.images ?? [])].sort((a, b) => a.order - b.order);
  const price: PriceItem | undefined = s.price;
  return {
    supplierId: args.supplierId,
    sku: args.sku,
    status: args.reasons.length > 0 ? "rejected" : "active",
    name: s.detail.name,
    model: s.detail.model,
    catalogId: s.detail.catalogId,
    interfaceCode: s.detail.interfaceCode,
    brandId: s.detail.brand_id,
    brandName: s.detail.brand_name,
    url: s.detail.url,
    imagePath: s.detail.image_path,
    detailJson: JSON.stringify(s.detail),
    attributesJson: JSON.stringify(s.attributes),
    promisesJson: s.promise ? JSON.stringify(s.promise) : null,
    imagesJson: JSON.stringify(images),
    shelfState: args.shelfState,
    // A price that breaks the 2-decimal rule is kept out of the fen columns; the reason says why.
    priceFen: fen(price?.price),
    mallPriceFen: fen(price?.mall_price),
    marketPriceFen: fen(price?.market_price),
    rejectionJson: JSON.stringify(args.reasons),
    listingState: prior?.listingState ?? "none",
    sourceMessageIdsJson: withSource(prior, args.messageIds),
    detailReadAt: args.read.detail ? now : (prior?.detailReadAt ?? null),
    priceReadAt: args.read.price ? now : (prior?.priceReadAt ?? null),
    shelfReadAt: args.read.shelf ? now : (prior?.shelfReadAt ?? null),
    createdAt: prior?.createdAt ?? now,
    updatedAt: now,
  };
}

/** The same row with new values, for changes that do not touch the detail (delist, shelf state). */
export function changedRow(prior: ProductRow, change: Partial<NewProductRow>, messageIds: readonly string[], now: number): NewProductRow {
  const { id: _id, ...rest } = prior;
  return { ...rest, ...change, sourceMessageIdsJson: withSource(prior, messageIds), updatedAt: now };
}
