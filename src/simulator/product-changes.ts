import { MessageType, type PoolMessage, fenToYuan } from "../contract/index.js";
import type { MessagePool } from "./message-pool.js";
import type { InvalidKind, SimProduct } from "./product-model.js";
import type { ProductFactory } from "./product-seed.js";
import type { ProductStore } from "./product-store.js";
import type { Random } from "./seeded-random.js";

export const changeKinds = ["price", "shelf-on", "shelf-off", "detail", "add", "withdraw", "readd", "fix", "break"] as const;
export type ChangeKind = (typeof changeKinds)[number];

/** Relative weights of the mixed change stream: mostly prices and shelf states, as in real pools. */
const CHANGE_WEIGHTS: ReadonlyArray<readonly [ChangeKind, number]> = [
  ["price", 35],
  ["shelf-off", 10],
  ["shelf-on", 10],
  ["detail", 15],
  ["add", 10],
  ["withdraw", 7],
  ["readd", 5],
  ["fix", 5],
  ["break", 3],
];

export type AppliedChange = { kind: ChangeKind; sku: string; messages: PoolMessage[] };

/**
 * Every change to the product truth goes through here and publishes the message the contract
 * pairs with it (§5 S-2), so the pool never tells the mall something the truth does not say.
 */
export class ProductChanges {
  constructor(
    private readonly products: ProductStore,
    private readonly pool: MessagePool,
    private readonly factory: ProductFactory,
    private readonly random: Random,
  ) {}

  /** Applies `kind` to `product` (or to a fitting sku); null when no sku fits. */
  apply(kind: ChangeKind, product?: SimProduct, prices?: { priceFen?: number; mallPriceFen?: number }, defect?: InvalidKind): AppliedChange | null {
    if (kind === "add") return this.add();
    const p = product ?? this.candidate(kind);
    if (!p) return null;
    p.revision++;
    switch (kind) {
      case "price":
        this.changePrice(p, prices);
        return this.done(kind, p, this.publishPrice(p));
      case "fix":
        if (p.priceFen > p.mallPriceFen) {
          p.priceFen = p.mallPriceFen;
          p.invalid = p.invalid.filter((r) => r.kind !== "price-above-mall-price");
          return this.done(kind, p, this.publishPrice(p));
        }
        this.factory.refreshDetail(p);
        return this.done(kind, p, this.pool.publish(MessageType.Detail, { skuId: p.sku }));
      case "shelf-on":
      case "shelf-off":
        p.shelfState = kind === "shelf-on" ? 1 : 0;
        return this.done(kind, p, this.pool.publish(MessageType.ShelfState, { skuId: p.sku, state: p.shelfState === 1 ? 1 : 2 }));
      case "detail":
        this.factory.refreshDetail(p);
        p.detail = { ...p.detail, name: renamed(p.detail.name, p.revision) };
        return this.done(kind, p, this.pool.publish(MessageType.Detail, { skuId: p.sku }));
      case "break": {
        this.factory.breakProduct(p, defect ?? this.random.pick(["unknown-attribute-value", "missing-required-param", "foreign-domain-url"] as const));
        const priceBroken = p.invalid.at(-1)?.kind === "price-above-mall-price";
        return this.done(kind, p, priceBroken ? this.publishPrice(p) : this.pool.publish(MessageType.Detail, { skuId: p.sku }));
      }
      case "withdraw":
        p.inPool = false;
        return this.done(kind, p, this.pool.publish(MessageType.PoolChange, { skuId: p.sku, state: 2 }));
      case "readd":
        p.inPool = true;
        return this.done(kind, p, this.pool.publish(MessageType.PoolChange, { skuId: p.sku, state: 1 }));
    }
  }

  /** One change of a kind drawn by weight; kinds with no fitting sku are skipped. */
  randomChange(): AppliedChange | null {
    for (let attempt = 0; attempt < 5; attempt++) {
      const applied = this.apply(this.drawKind());
      if (applied) return applied;
    }
    return null;
  }

  /** Publishes "added" (type 6 state 1) for every offered sku: how the mall learns the initial pool. */
  publishPool(): number {
    let n = 0;
    for (const p of this.products.all()) {
      if (!p.inPool) continue;
      this.pool.publish(MessageType.PoolChange, { skuId: p.sku, state: 1 });
      n++;
    }
    return n;
  }

  /** A sku that the change makes sense for: offered skus, except readd (withdrawn) and fix (invalid). */
  candidate(kind: ChangeKind): SimProduct | undefined {
    const all = this.products.all();
    const fits: Record<ChangeKind, (p: SimProduct) => boolean> = {
      price: (p) => p.inPool,
      "shelf-on": (p) => p.inPool && p.shelfState === 0,
      "shelf-off": (p) => p.inPool && p.shelfState === 1,
      detail: (p) => p.inPool,
      add: () => false,
      withdraw: (p) => p.inPool,
      readd: (p) => !p.inPool,
      fix: (p) => p.inPool && p.invalid.length > 0,
      break: (p) => p.inPool && p.invalid.length === 0,
    };
    const matching = all.filter(fits[kind]);
    return matching.length > 0 ? this.random.pick(matching) : undefined;
  }

  private publishPrice(p: SimProduct): PoolMessage[] {
    return this.pool.publish(MessageType.Price, { skuId: p.sku, price: fenToYuan(p.priceFen), mall_price: fenToYuan(p.mallPriceFen) });
  }

  private add(): AppliedChange {
    const p = this.factory.create();
    this.products.add(p);
    return this.done("add", p, this.pool.publish(MessageType.PoolChange, { skuId: p.sku, state: 1 }));
  }

  private changePrice(p: SimProduct, prices?: { priceFen?: number; mallPriceFen?: number }): void {
    const brokenPrice = p.invalid.some((r) => r.kind === "price-above-mall-price");
    if (prices?.mallPriceFen !== undefined) p.mallPriceFen = prices.mallPriceFen;
    if (prices?.priceFen !== undefined) p.priceFen = prices.priceFen;
    if (prices?.priceFen === undefined && prices?.mallPriceFen === undefined) {
      p.mallPriceFen = Math.max(100, Math.round((p.mallPriceFen * this.random.int(90, 110)) / 100));
      const target = Math.floor((p.mallPriceFen * this.random.int(85, 100)) / 100);
      p.priceFen = brokenPrice ? p.mallPriceFen + this.random.int(1, 50) * 100 : Math.max(1, target);
    }
    const nowBroken = p.priceFen > p.mallPriceFen;
    p.invalid = p.invalid.filter((r) => r.kind !== "price-above-mall-price");
    if (nowBroken) p.invalid.push({ kind: "price-above-mall-price", field: "price", text: "协议价高于商城价" });
  }

  private drawKind(): ChangeKind {
    const total = CHANGE_WEIGHTS.reduce((sum, [, w]) => sum + w, 0);
    let roll = this.random.next() * total;
    for (const [kind, weight] of CHANGE_WEIGHTS) {
      roll -= weight;
      if (roll < 0) return kind;
    }
    return "price";
  }

  private done(kind: ChangeKind, p: SimProduct, messages: PoolMessage[]): AppliedChange {
    return { kind, sku: p.sku, messages };
  }
}

function renamed(name: string, revision: number): string {
  const base = name.replace(/ \(\d+版\)$/, "");
  return `${base} (${revision}版)`.slice(0, 300);
}
