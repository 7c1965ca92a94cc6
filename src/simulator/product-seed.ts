import { type CatalogParam, InputType, PromiseType, type ProductAttribute, type PromiseOption } from "../contract/index.js";
import type { BrandFixture, LeafCatalog, ReferenceData } from "./reference-data.js";
import type { Random } from "./seeded-random.js";
import { type InvalidKind, type InvalidReason, type SimProduct, invalidKinds } from "./product-model.js";

export type SeedOptions = {
  /** The supplier's registered product domain (§7: url must be on it). */
  domain: string;
  /** Share of products made deliberately invalid, 0…1. */
  invalidShare: number;
  /** Share of products seeded off the shelf. */
  offShelfShare: number;
};

const FIRST_SKU = 100_001;
const OPTIONAL_PARAM_SHARE = 0.6;
const MADE_TO_ORDER_SHARE = 0.08;
const OUT_OF_STOCK_PROVINCES = 3;
const TAX_RATE_PERCENT = 13;

/**
 * Builds products from the reference data. Valid products pass the mall's §7 validation; invalid
 * ones carry exactly the defect named in `invalid`, so the puller's verdict can be compared.
 */
export class ProductFactory {
  private nextSku = FIRST_SKU;
  private readonly leaves: LeafCatalog[];
  private readonly provinces: string[];

  constructor(
    private readonly reference: ReferenceData,
    private readonly random: Random,
    private readonly options: SeedOptions,
  ) {
    this.leaves = reference.leaves.filter(isSeedable);
    if (this.leaves.length === 0) throw new Error("reference data has no leaf catalog with usable parameters");
    this.provinces = [...new Set(reference.counties.map((c) => c.province))];
  }

  /** A new sku, valid or (with the configured share) invalid. */
  create(): SimProduct {
    const product = this.createValid();
    if (this.random.chance(this.options.invalidShare)) this.breakProduct(product, this.random.pick(invalidKinds));
    return product;
  }

  createValid(): SimProduct {
    const r = this.random;
    const sku = String(this.nextSku++);
    const catalog = r.pick(this.leaves);
    const brand = this.brandFor(catalog);
    const model = `${brand.brandEnName.slice(0, 2).toUpperCase() || "SP"}-${r.pick(["A", "E", "M", "T", "X"])}${r.int(100, 999)}${r.pick(["", " Pro", " Plus", "S"])}`;
    const name = `${brand.brandName} ${catalog.name} ${model}`;
    const attributes = this.attributesFor(catalog, model);
    const mallPriceFen = r.int(20, 20_000) * 100 + r.pick([0, 0, 50, 90]);
    const priceFen = Math.max(1, Math.floor((mallPriceFen * r.int(85, 100)) / 100));
    const imageCount = r.int(1, 5);
    const firstOrder = r.int(0, 1);
    const images = Array.from({ length: imageCount }, (_, i) => ({
      path: `https://img.${this.options.domain}/${sku}/${i + 1}.${r.pick(["jpg", "jpg", "png", "jpeg"])}`,
      order: firstOrder + i,
    }));
    return {
      sku,
      detail: {
        name,
        model,
        catalogId: catalog.id,
        interfaceCode: catalog.interfaceCode,
        category: catalog.name,
        brand_id: brand.brandId,
        brand_name: brand.brandName,
        url: `https://${this.options.domain}/product/${sku}.html`,
        weight: String(r.int(1, 300) / 10),
        product_area: r.pick(["中国大陆", "天津", "北京", "广东深圳", "江苏苏州"]),
        upc: String(r.int(100_000, 999_999)) + String(r.int(1_000_000, 9_999_999)),
        unit: r.pick(["台", "个", "套", "件", "箱"]),
        service: "全国联保，整机保修三年",
        introduction: `<p>${escapeHtml(name)}</p><p>政府采购专供，含税含运费。</p>`,
        param: paramTable(attributes),
        ware: `${catalog.name} x1，说明书 x1，保修卡 x1`,
        tax_rate: String(TAX_RATE_PERCENT),
      },
      attributes,
      promise: this.promisesFor(catalog, sku),
      shelfState: r.chance(this.options.offShelfShare) ? 0 : 1,
      images,
      priceFen,
      mallPriceFen,
      marketPriceFen: Math.round(mallPriceFen * 1.1),
      taxRatePercent: TAX_RATE_PERCENT,
      stock: r.chance(MADE_TO_ORDER_SHARE)
        ? null
        : {
            base: r.int(0, 20) === 0 ? 0 : r.int(5, 500),
            byProvince: Object.fromEntries(r.sample(this.provinces, OUT_OF_STOCK_PROVINCES).map((p) => [p, 0])),
          },
      inPool: true,
      invalid: [],
      revision: 1,
    };
  }

  /** Introduces one defect of `kind` (falling back to a price defect when the catalog cannot carry it). */
  breakProduct(p: SimProduct, kind: InvalidKind): void {
    const reason = this.applyDefect(p, kind) ?? this.applyDefect(p, "price-above-mall-price");
    if (reason) p.invalid.push(reason);
  }

  /**
   * Regenerated detail and parameters, as a type-16 change carries them (S-4 + S-5): defects of the
   * detail and parameters are fixed; a price defect needs a price change (type 2) and stays.
   */
  refreshDetail(p: SimProduct): void {
    const catalog = this.leaves.find((c) => c.id === p.detail.catalogId) ?? this.random.pick(this.leaves);
    p.attributes = this.attributesFor(catalog, p.detail.model);
    p.detail = { ...p.detail, url: `https://${this.options.domain}/product/${p.sku}.html`, param: paramTable(p.attributes) };
    p.images = p.images.map((i) => ({ ...i, path: i.path.replace(/\.(gif|bmp|webp)$/, ".jpg") }));
    p.invalid = p.invalid.filter((reason) => reason.kind === "price-above-mall-price");
  }

  private applyDefect(p: SimProduct, kind: InvalidKind): InvalidReason | null {
    const r = this.random;
    const catalog = this.leaves.find((c) => c.id === p.detail.catalogId);
    switch (kind) {
      case "unknown-attribute-value": {
        const selectRows = p.attributes.filter((a) => a.valueID !== "");
        if (selectRows.length === 0) return null;
        const row = r.pick(selectRows);
        row.valueID = `9${r.int(100_000, 999_999)}`;
        return { kind, field: `attributes.${row.attributeID}`, text: `valueID ${row.valueID} 不属于参数 ${row.attributeName}` };
      }
      case "missing-required-param": {
        const required = catalog?.params.filter((param) => param.required === 1) ?? [];
        if (required.length === 0) return null;
        const param = r.pick(required);
        p.attributes = p.attributes.filter((a) => a.attributeID !== param.attributeID);
        return { kind, field: `attributes.${param.attributeID}`, text: `缺少必填参数 ${param.attributeName}` };
      }
      case "bad-image-format": {
        const ext = r.pick(["gif", "bmp", "webp"]);
        const main = [...p.images].sort((a, b) => a.order - b.order)[0];
        if (!main) return null;
        main.path = main.path.replace(/\.[a-z]+$/, `.${ext}`);
        return { kind, field: "image_path", text: `图片格式 .${ext} 不是 jpg/jpeg/png` };
      }
      case "foreign-domain-url": {
        p.detail.url = `https://item.${r.pick(["other-shop.com", "taobao-mirror.net", "example.org"])}/p/${p.sku}.html`;
        return { kind, field: "url", text: `商品链接 ${p.detail.url} 不在注册域名 ${this.options.domain}` };
      }
      case "price-above-mall-price": {
        p.priceFen = p.mallPriceFen + r.int(1, 50) * 100;
        return { kind, field: "price", text: "协议价高于商城价" };
      }
    }
  }

  private brandFor(catalog: LeafCatalog): BrandFixture {
    const linked = this.reference.brands.filter((b) => b.interfaceCodes.includes(catalog.interfaceCode));
    return this.random.pick(linked.length > 0 ? linked : this.reference.brands);
  }

  private attributesFor(catalog: LeafCatalog, model: string): ProductAttribute[] {
    const rows: ProductAttribute[] = [];
    for (const param of [...catalog.params].sort((a, b) => a.sort - b.sort)) {
      if (param.required !== 1 && !this.random.chance(OPTIONAL_PARAM_SHARE)) continue;
      rows.push(...this.valuesFor(param, model));
    }
    return rows;
  }

  private valuesFor(param: CatalogParam, model: string): ProductAttribute[] {
    const r = this.random;
    const row = (valueID: string, value: string): ProductAttribute => ({
      attributeID: param.attributeID,
      attributeName: param.attributeName,
      valueID,
      value,
    });
    switch (param.inputType) {
      case InputType.SingleSelect: {
        const v = r.pick(param.values);
        return [row(v.valueID, v.value)];
      }
      case InputType.MultiSelect:
        return r.sample(param.values, r.int(1, Math.min(3, param.values.length))).map((v) => row(v.valueID, v.value));
      case InputType.Text:
        return [row("", `${model} ${param.attributeName}`.slice(0, 200))];
      case InputType.Number:
        return [row("", String(r.int(1, 64)))];
    }
  }

  private promisesFor(catalog: LeafCatalog, sku: string): SimProduct["promise"] {
    const r = this.random;
    const applicable = this.reference.promises.filter((p: PromiseOption) => p.interfaceCodes.length === 0 || p.interfaceCodes.includes(catalog.interfaceCode));
    const chosen = applicable.filter((p) => p.required === 1 || r.chance(0.5));
    const validUntil = `${r.int(2027, 2030)}-${String(r.int(1, 12)).padStart(2, "0")}-${String(r.int(1, 28)).padStart(2, "0")}`;
    return {
      sevenDayReturn: chosen.some((p) => p.promiseType === PromiseType.SevenDayReturn) ? 1 : 0,
      promises: chosen
        .filter((p) => p.promiseType === PromiseType.Commitment)
        .map((p) => ({ promiseId: p.promiseId, content: p.promiseDesc || p.promiseName })),
      certifications: chosen
        .filter((p) => p.promiseType === PromiseType.Certification)
        .map((p) => ({
          promiseId: p.promiseId,
          certNo: `CQC${r.int(10_000_000, 99_999_999)}`,
          certUrl: `https://img.${this.options.domain}/cert/${sku}-${p.promiseId}.${r.pick(["pdf", "jpg"])}`,
          validUntil,
        })),
    };
  }
}

/** A leaf whose select items all offer values; otherwise no valid product can be built on it. */
function isSeedable(catalog: LeafCatalog): boolean {
  return catalog.params.every((p) => p.inputType === InputType.Text || p.inputType === InputType.Number || p.values.length > 0);
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c] ?? c);
}

function paramTable(rows: ProductAttribute[]): string {
  const cells = rows.map((a) => `<tr><th>${escapeHtml(a.attributeName)}</th><td>${escapeHtml(a.value)}</td></tr>`);
  return `<table>${cells.join("")}</table>`;
}
