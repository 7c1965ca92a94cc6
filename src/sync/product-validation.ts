import {
  type CatalogParam,
  ErrorCode,
  InputType,
  type PriceItem,
  type ProductAttribute,
  type ProductDetail,
  type ProductImages,
  type ProductPromise,
  type PromiseOption,
  yuanToFen,
} from "../contract/index.js";

/** One reason a product is refused, kept with the product (§6: every reason, code + field + text). */
export type RejectionReason = { code: number; field: string; message: string };

/** Everything known about one sku at validation time, fresh from the supplier or from the store. */
export type ProductSnapshot = {
  detail: ProductDetail;
  attributes: readonly ProductAttribute[];
  promise: ProductPromise | undefined;
  images: ProductImages | undefined;
  price: PriceItem | undefined;
};

type Awaitable<T> = T | Promise<T>;

/** The mall-side facts validation checks against (the reference store's read as asked for). */
export type ValidationContext = {
  catalog(id: string): Awaitable<{ interfaceCode: string; isLeaf: boolean } | undefined>;
  params(catalogId: string): Awaitable<readonly CatalogParam[]>;
  brandExists(brandId: string): Awaitable<boolean>;
  /** Promise options marked required for this catalog code (M-4, scoped or global). */
  requiredPromises(interfaceCode: string): readonly PromiseOption[];
  /** The supplier's registered domains; a url host must be one of them or below one. */
  domains: readonly string[];
  bannedTerms: readonly string[];
};

const IMAGE = /\.(jpe?g|png)$/i;
const CERTIFICATE = /\.(jpe?g|png|pdf)$/i;

/**
 * The path of an http(s) URL, or null for anything else: a `javascript:` or `data:` URL ending in
 * `.png` must not pass as an image, since the console and the mall render these as links.
 */
function httpPathOf(url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.pathname : null;
}

const fileMatches = (url: string, format: RegExp): boolean => {
  const path = httpPathOf(url);
  return path !== null && format.test(path);
};

function hostOnDomains(url: string, domains: readonly string[]): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return false;
  const host = parsed.hostname.toLowerCase();
  return domains.some((d) => host === d || host.endsWith(`.${d}`));
}

const stripTags = (html: string) => html.replace(/<[^>]*>/g, " ");

/** Contract §7 plus the content screen. An empty list means the product may be offered. */
export async function validateProduct(p: ProductSnapshot, ctx: ValidationContext): Promise<RejectionReason[]> {
  const reasons: RejectionReason[] = [];
  const add = (code: number, field: string, message: string) => reasons.push({ code, field, message });
  const { detail } = p;

  const catalog = await ctx.catalog(detail.catalogId);
  if (!catalog) add(ErrorCode.CatalogNotFound, "catalogId", `品目 ${detail.catalogId} 不存在`);
  else if (!catalog.isLeaf) add(ErrorCode.CatalogNotFound, "catalogId", `品目 ${detail.catalogId} 不是末级品目`);
  else if (catalog.interfaceCode !== detail.interfaceCode) {
    add(ErrorCode.CatalogNotFound, "interfaceCode", `interfaceCode ${detail.interfaceCode} 与品目 ${detail.catalogId} (${catalog.interfaceCode}) 不符`);
  }

  if (catalog?.isLeaf) checkAttributes(p.attributes, await ctx.params(detail.catalogId), add);

  if (!(await ctx.brandExists(detail.brand_id))) add(ErrorCode.Other, "brand_id", `品牌 ${detail.brand_id} 不存在`);

  if (!hostOnDomains(detail.url, ctx.domains)) add(ErrorCode.ProductUrlInvalid, "url", `商品链接 ${detail.url} 不在注册域名 ${ctx.domains.join(",")} 下`);

  if (!fileMatches(detail.image_path, IMAGE)) add(ErrorCode.FileFormatInvalid, "image_path", `主图 ${detail.image_path} 应为 http(s) 的 jpg/jpeg/png`);
  for (const image of p.images?.images ?? []) {
    if (!fileMatches(image.path, IMAGE)) add(ErrorCode.FileFormatInvalid, "images.path", `图片 ${image.path} 应为 http(s) 的 jpg/jpeg/png`);
  }
  for (const cert of p.promise?.certifications ?? []) {
    if (!fileMatches(cert.certUrl, CERTIFICATE))
      add(ErrorCode.FileFormatInvalid, "certifications.certUrl", `证书 ${cert.certUrl} 应为 http(s) 的 jpg/jpeg/png/pdf`);
  }

  checkPrice(p.price, add);

  if (catalog) {
    const given = new Set([...(p.promise?.promises ?? []).map((x) => x.promiseId), ...(p.promise?.certifications ?? []).map((x) => x.promiseId)]);
    for (const required of ctx.requiredPromises(catalog.interfaceCode)) {
      if (required.promiseType === 3) {
        if (p.promise?.sevenDayReturn !== 1) add(ErrorCode.Other, "sevenDayReturn", `品目要求${required.promiseName}`);
      } else if (!given.has(required.promiseId)) {
        add(ErrorCode.Other, "promises", `缺少必需的${required.promiseType === 2 ? "产品认证" : "商品承诺"} ${required.promiseId} ${required.promiseName}`);
      }
    }
  }

  const screened: Array<[string, string]> = [
    ["name", detail.name],
    ["introduction", stripTags(detail.introduction)],
  ];
  for (const [field, text] of screened) {
    for (const term of ctx.bannedTerms) {
      if (term && text.includes(term)) add(ErrorCode.Other, field, `含违禁词「${term}」`);
    }
  }
  return reasons;
}

function checkPrice(price: PriceItem | undefined, add: (code: number, field: string, message: string) => void): void {
  if (!price) {
    add(ErrorCode.Other, "price", "未取得价格");
    return;
  }
  const fen = yuanToFen(price.price);
  const mallFen = yuanToFen(price.mall_price);
  if (fen === null) add(ErrorCode.Other, "price", `协议价 ${price.price} 最多两位小数`);
  else if (fen <= 0) add(ErrorCode.Other, "price", "协议价应大于0");
  if (mallFen === null) add(ErrorCode.Other, "mall_price", `商城价 ${price.mall_price} 最多两位小数`);
  if (fen !== null && mallFen !== null && fen > mallFen) add(ErrorCode.Other, "price", `协议价高于商城价 (${price.price} > ${price.mall_price})`);
}

function checkAttributes(
  attributes: readonly ProductAttribute[],
  params: readonly CatalogParam[],
  add: (code: number, field: string, message: string) => void,
): void {
  const byId = new Map(params.map((p) => [p.attributeID, p]));
  const seen = new Map<string, number>();
  for (const a of attributes) {
    const param = byId.get(a.attributeID);
    const field = `attributes.${a.attributeID}`;
    if (!param) {
      add(ErrorCode.CatalogParamsUnavailable, field, `参数项 ${a.attributeID} 不属于该品目`);
      continue;
    }
    seen.set(a.attributeID, (seen.get(a.attributeID) ?? 0) + 1);
    if (param.inputType === InputType.SingleSelect || param.inputType === InputType.MultiSelect) {
      const allowed = param.values.find((v) => v.valueID === a.valueID);
      if (!allowed) add(ErrorCode.CatalogParamsUnavailable, field, `${param.attributeName} 的取值 ${a.valueID} 不在标准取值内`);
      else if (allowed.value !== a.value)
        add(ErrorCode.CatalogParamsUnavailable, field, `${param.attributeName} 取值 ${a.valueID} 应为「${allowed.value}」，收到「${a.value}」`);
    } else if (param.inputType === InputType.Number) {
      if (!/^-?\d+(\.\d+)?$/.test(a.value.trim())) add(ErrorCode.CatalogParamsUnavailable, field, `${param.attributeName} 应为数字，收到「${a.value}」`);
    } else if (a.value.trim() === "") {
      add(ErrorCode.CatalogParamsUnavailable, field, `${param.attributeName} 不能为空`);
    }
  }
  for (const [id, count] of seen) {
    const param = byId.get(id);
    if (param && param.inputType !== InputType.MultiSelect && count > 1) {
      add(ErrorCode.CatalogParamsUnavailable, `attributes.${id}`, `${param.attributeName} 只能有一个取值`);
    }
  }
  for (const param of params) {
    if (param.required === 1 && !seen.has(param.attributeID)) {
      add(ErrorCode.CatalogParamsNotFound, `attributes.${param.attributeID}`, `缺少必填参数 ${param.attributeName}`);
    }
  }
}

/** Absolute terms the Advertising Law (广告法 §9) forbids; a centre adds its own through config. */
export const ADVERTISING_LAW_TERMS = [
  "最佳",
  "最优",
  "最好",
  "最强",
  "最高级",
  "最先进",
  "最低价",
  "第一品牌",
  "全国第一",
  "行业第一",
  "第一",
  "唯一",
  "首选",
  "顶级",
  "国家级",
  "世界级",
  "全球级",
  "极品",
  "绝对",
  "100%",
  "万能",
  "史无前例",
  "独一无二",
] as const;
