import {
  type ProductAttribute,
  type ProductDetail,
  type ProductImages,
  type ProductPromise,
  type PriceItem,
  type ShelfStateItem,
  type StockItem,
  StockState,
  fenToYuan,
} from "../contract/index.js";

/** Why a seeded product is deliberately broken, so the mall's §7 validation has something to find. */
export const invalidKinds = ["unknown-attribute-value", "missing-required-param", "bad-image-format", "foreign-domain-url", "price-above-mall-price"] as const;
export type InvalidKind = (typeof invalidKinds)[number];
/** Defects only the hostile supplier introduces (hostile-supplier.ts): never seeded at random. */
export const hostileDefectKinds = ["script-url-image", "script-url-cert"] as const;
export type HostileDefectKind = (typeof hostileDefectKinds)[number];
export type InvalidReason = { kind: InvalidKind | HostileDefectKind; field: string; text: string };

export type ShelfStateCode = 0 | 1;

/** What the supplier knows about one sku: the truth every endpoint answers from. */
export type SimProduct = {
  sku: string;
  detail: Omit<ProductDetail, "sku" | "state" | "image_path">;
  attributes: ProductAttribute[];
  promise: Omit<ProductPromise, "sku">;
  shelfState: ShelfStateCode;
  images: Array<{ path: string; order: number }>;
  priceFen: number;
  mallPriceFen: number;
  marketPriceFen: number;
  taxRatePercent: number;
  /** null: made to order, stock unknown (num -1). Otherwise the default and per-province stock. */
  stock: { base: number; byProvince: Record<string, number> } | null;
  /** Offered to the mall (type 6 state 1) and not withdrawn (type 6 state 2). */
  inPool: boolean;
  invalid: InvalidReason[];
  /** Bumped on every change, so a comparison can tell which truth it saw. */
  revision: number;
};

export function mainImagePath(p: SimProduct): string {
  const sorted = [...p.images].sort((a, b) => a.order - b.order);
  return sorted[0]?.path ?? "";
}

export const toDetail = (p: SimProduct): ProductDetail => ({
  sku: p.sku,
  ...p.detail,
  image_path: mainImagePath(p),
  state: p.shelfState,
});

export const toAttributes = (p: SimProduct): ProductAttribute[] => p.attributes.map((a) => ({ ...a }));

export const toPromise = (p: SimProduct): ProductPromise => ({ sku: p.sku, ...p.promise });

export const toShelfState = (p: SimProduct): ShelfStateItem => ({ sku: p.sku, state: p.shelfState });

export const toImages = (p: SimProduct): ProductImages => ({ sku: p.sku, images: p.images.map((i) => ({ ...i })) });

export function toPrice(p: SimProduct): PriceItem {
  // naked_price: price before tax, rounded to the fen.
  const nakedFen = Math.round((p.priceFen * 100) / (100 + p.taxRatePercent));
  return {
    sku: p.sku,
    price: fenToYuan(p.priceFen),
    mall_price: fenToYuan(p.mallPriceFen),
    market_price: fenToYuan(p.marketPriceFen),
    naked_price: fenToYuan(nakedFen),
    tax_rate: p.taxRatePercent,
  };
}

export function availableStock(p: SimProduct, province: string): number | null {
  if (p.stock === null) return null;
  return p.stock.byProvince[province] ?? p.stock.base;
}

export function toStock(p: SimProduct, area: string, province: string, wanted: number): StockItem {
  const available = availableStock(p, province);
  if (available === null) return { sku: p.sku, area, num: -1, desc: "有货", stockStateId: StockState.Allocatable };
  const enough = available >= wanted;
  return {
    sku: p.sku,
    area,
    num: available,
    desc: enough ? "有货" : "无货",
    stockStateId: enough ? StockState.InStock : StockState.OutOfStock,
  };
}
