import { fenToYuan } from "../contract/index.js";
import { type InvalidReason, type SimProduct, availableStock, mainImagePath, toDetail } from "./product-model.js";

/** One sku of the exported truth: everything the mall should end up knowing about it. */
export type ProductTruth = {
  sku: string;
  inPool: boolean;
  shelfState: 0 | 1;
  detail: ReturnType<typeof toDetail>;
  attributes: SimProduct["attributes"];
  promise: SimProduct["promise"];
  images: SimProduct["images"];
  mainImage: string;
  price: number;
  mall_price: number;
  priceFen: number;
  mallPriceFen: number;
  stock: SimProduct["stock"];
  valid: boolean;
  invalid: InvalidReason[];
  revision: number;
};

/** The simulator's products, by sku. Skus withdrawn from the pool stay here, marked. */
export class ProductStore {
  private readonly products = new Map<string, SimProduct>();

  add(product: SimProduct): void {
    this.products.set(product.sku, product);
  }

  /** A sku the supplier currently offers the mall; withdrawn and unknown skus are not found. */
  offered(sku: string): SimProduct | undefined {
    const p = this.products.get(sku);
    return p?.inPool ? p : undefined;
  }

  get(sku: string): SimProduct | undefined {
    return this.products.get(sku);
  }

  all(): SimProduct[] {
    return [...this.products.values()];
  }

  /** Offered skus in batch order, unknown ones omitted (§3). */
  offeredMany(skus: readonly string[]): SimProduct[] {
    const out: SimProduct[] = [];
    for (const sku of skus) {
      const p = this.offered(sku);
      if (p) out.push(p);
    }
    return out;
  }

  /** Takes `num` from the province's stock; false when there is not enough. Made-to-order always succeeds. */
  reserve(p: SimProduct, province: string, num: number): boolean {
    const available = availableStock(p, province);
    if (available === null || p.stock === null) return true;
    if (available < num) return false;
    p.stock.byProvince[province] = available - num;
    return true;
  }

  release(p: SimProduct, province: string, num: number): void {
    const available = availableStock(p, province);
    if (available === null || p.stock === null) return;
    p.stock.byProvince[province] = available + num;
  }

  exportTruth(): ProductTruth[] {
    return this.all().map((p) => ({
      sku: p.sku,
      inPool: p.inPool,
      shelfState: p.shelfState,
      detail: toDetail(p),
      attributes: structuredClone(p.attributes),
      promise: structuredClone(p.promise),
      images: structuredClone(p.images),
      mainImage: mainImagePath(p),
      price: fenToYuan(p.priceFen),
      mall_price: fenToYuan(p.mallPriceFen),
      priceFen: p.priceFen,
      mallPriceFen: p.mallPriceFen,
      stock: structuredClone(p.stock),
      valid: p.invalid.length === 0,
      invalid: structuredClone(p.invalid),
      revision: p.revision,
    }));
  }
}
