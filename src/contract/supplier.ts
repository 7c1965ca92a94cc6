import { z } from "zod";
import { MAX_BATCH, areaPath, jsonText, reportedMoney, skuBatch, wireCode, wireDate, wireId, wireInt, wireMoney, wireText } from "./primitives.js";

/** Supplier interfaces S-2…S-12 (§5): what the mall sends suppliers and what they answer. */

/** Every S-2…S-12 call names the platform it comes from (§2.2). */
export const PlatformField = z.object({
  platformCode: wireText(32).describe("From M-2; unknown → 5013."),
});

export const MessageType = { Price: 2, ShelfState: 4, PoolChange: 6, Detail: 16 } as const;
export type MessageType = (typeof MessageType)[keyof typeof MessageType];
export const messageTypes = [2, 4, 6, 16] as const;

export const MessagePoolRequest = PlatformField.extend({
  type: wireCode(messageTypes).describe("2 price, 4 shelf state, 6 pool change, 16 detail/params."),
});

const skuId = z.union([z.string(), z.number().transform(String)]).pipe(z.string().min(1).max(64));

export const PriceMessage = z.object({ skuId, price: reportedMoney.optional(), mall_price: reportedMoney.optional() });
export const ShelfStateMessage = z.object({ skuId, state: wireCode([1, 2] as const).describe("1 上架, 2 下架") });
export const PoolChangeMessage = z.object({ skuId, state: wireCode([1, 2] as const).describe("1 added, 2 removed") });
export const DetailMessage = z.object({ skuId });

const messageBase = {
  id: z.union([z.string(), z.number().transform(String)]).pipe(z.string().min(1).max(64)),
  time: z.string().describe("yyyy-MM-dd HH:mm:ss"),
};
export const PoolMessage = z.discriminatedUnion("type", [
  z.object({ ...messageBase, type: z.literal(2), result: PriceMessage }),
  z.object({ ...messageBase, type: z.literal(4), result: ShelfStateMessage }),
  z.object({ ...messageBase, type: z.literal(6), result: PoolChangeMessage }),
  z.object({ ...messageBase, type: z.literal(16), result: DetailMessage }),
]);
export type PoolMessage = z.output<typeof PoolMessage>;
export const MessagePoolResult = z.array(PoolMessage).max(MAX_BATCH);

export const MessageDeleteRequest = PlatformField.extend({
  messageId: z
    .union([z.string(), z.number().transform(String)])
    .pipe(
      z
        .string()
        .regex(/^[^\s,]+(,[^\s,]+)*$/, "messageId 应为逗号分隔、无空格的列表")
        .transform((text) => text.split(","))
        .pipe(z.array(z.string().max(64)).max(MAX_BATCH, { message: `messageId数量超过${MAX_BATCH}` })),
    )
    .describe("Comma-separated message ids, at most 100 (alias: id)."),
});
export const MessageDeleteResult = z.literal(true);

export const SingleSkuRequest = PlatformField.extend({ sku: wireText(64).describe("Exactly one sku.") });
export const SkuBatchRequest = PlatformField.extend({ sku: skuBatch.describe("Comma-separated skus, ≤ 100 (alias: skus).") });

const optionalText = (max: number) => z.union([z.string().max(max), z.number().transform(String)]).optional();

export const ShelfState = { On: 1, Off: 0 } as const;
export const ProductDetail = z.object({
  sku: skuId,
  name: z.string().min(1).max(300),
  model: z.string().max(200),
  catalogId: z.union([z.string(), z.number().transform(String)]).describe("M-3 id."),
  interfaceCode: z.string().max(64),
  category: optionalText(200),
  brand_id: z.union([z.string(), z.number().transform(String)]).describe("M-7 brandId."),
  brand_name: z.string().max(200),
  url: z.string().max(1000).describe("Product page on the supplier's registered domain."),
  image_path: z.string().max(1000).describe("Main image, jpg/jpeg/png."),
  state: wireCode([1, 0] as const).describe("1 上架, 0 下架"),
  weight: optionalText(32),
  product_area: optionalText(200),
  upc: optionalText(64),
  unit: z.string().max(32),
  service: optionalText(2000),
  introduction: z.string().max(200_000).describe("HTML."),
  param: optionalText(200_000),
  ware: optionalText(2000),
  tax_rate: optionalText(16),
  tax_code: optionalText(64),
  sale_actives: optionalText(2000),
});
export type ProductDetail = z.output<typeof ProductDetail>;

export const ProductAttribute = z.object({
  attributeID: z.union([z.string(), z.number().transform(String)]).pipe(z.string().max(50)),
  attributeName: z.string().max(200),
  valueID: z.union([z.string(), z.number().transform(String)]).describe('"" for text and number items.'),
  value: z.union([z.string(), z.number().transform(String)]).pipe(z.string().max(500)),
});
export type ProductAttribute = z.output<typeof ProductAttribute>;
export const ProductAttributesResult = z.array(ProductAttribute);

export const ProductPromise = z.object({
  sku: skuId,
  sevenDayReturn: wireCode([1, 0] as const),
  promises: z.array(z.object({ promiseId: z.string(), content: z.string().max(2000) })),
  certifications: z.array(z.object({ promiseId: z.string(), certNo: z.string().max(128), certUrl: z.string().max(1000), validUntil: wireDate })),
});
export type ProductPromise = z.output<typeof ProductPromise>;
export const ProductPromisesResult = z.array(ProductPromise);

export const ShelfStateItem = z.object({ sku: skuId, state: wireCode([1, 0] as const).describe("1 上架, 0 下架") });
export type ShelfStateItem = z.output<typeof ShelfStateItem>;
export const ShelfStatesResult = z.array(ShelfStateItem);

export const StockState = { InStock: 33, InTransit: 39, Allocatable: 40, PreOrder: 36, OutOfStock: 34 } as const;
export const StocksRequest = SkuBatchRequest.extend({
  area: areaPath,
  num: wireInt(1, 1_000_000).optional().describe("Quantity wanted, default 1."),
});
export const StockItem = z.object({
  sku: skuId,
  area: z.string(),
  num: z.number().int().min(-1).describe("Available, -1 unknown."),
  desc: z.string().describe("有货 / 无货"),
  stockStateId: wireCode([33, 39, 40, 36, 34] as const)
    .optional()
    .describe("33 现货, 39 在途, 40 可配货, 36 预订, 34 无货"),
});
export type StockItem = z.output<typeof StockItem>;
export const StocksResult = z.array(StockItem);

export const ProductImages = z.object({
  sku: skuId,
  images: z.array(z.object({ path: z.string().max(1000), order: wireInt(0, 10_000) })),
});
export type ProductImages = z.output<typeof ProductImages>;
export const ImagesResult = z.array(ProductImages);

export const PriceItem = z.object({
  sku: skuId,
  price: reportedMoney.describe("协议价: what the buyer pays."),
  mall_price: reportedMoney.describe("The supplier's own mall price."),
  market_price: reportedMoney.optional(),
  naked_price: reportedMoney.optional(),
  tax_rate: z.union([z.number(), z.string()]).optional(),
});
export type PriceItem = z.output<typeof PriceItem>;
export const PricesResult = z.array(PriceItem);

export const InvoiceType = { Ordinary: 1, VatSpecial: 2, Electronic: 3 } as const;
export const Payment = { OnDelivery: 1, Centralized: 2, Online: 3, Cheque: 4, Credit: 5, Prepaid: 6 } as const;

export const OrderSkuLine = z.object({
  sku: skuId,
  num: wireInt(1, 1_000_000),
  price: wireMoney.describe("Expected agreement unit price; a mismatch is refused 价格不一致."),
});
export type OrderSkuLine = z.output<typeof OrderSkuLine>;

const optional = (max: number) => wireText(max).optional();
export const SubmitOrderRequest = PlatformField.extend({
  yggc_order: wireId(64).describe("Mall order number, unique; a repeat returns the same supplier order."),
  sku: jsonText(z.array(OrderSkuLine).min(1).max(MAX_BATCH)).describe('JSON text: [{"sku","num","price"}].'),
  name: wireText(100),
  province: wireId(12),
  city: wireId(12),
  county: wireId(12),
  town: optional(12),
  address: wireText(300),
  zip: optional(12),
  phone: optional(32),
  mobile: optional(32),
  email: optional(128),
  remark: wireText(99).optional().describe("Fewer than 100 characters."),
  dep_name: optional(200),
  invoice_title: wireText(200),
  invoice_type: wireCode([1, 2, 3] as const).describe("1 普通, 2 增值税专用, 3 电子"),
  invoice_org_code: wireText(32).describe("Taxpayer id; required for every invoice type (§5 S-11)."),
  invoice_name: optional(200),
  invoice_phone: optional(32),
  invoice_bank: optional(200),
  invoice_bank_code: optional(64),
  invoice_address: optional(300),
  invoice_mobile: optional(32),
  invoice_receipt_address: optional(300),
  payment: wireCode([1, 2, 3, 4, 5, 6] as const).describe("1 货到付款, 2 集中支付, 3 在线支付, 4 支票, 5 账期支付, 6 先款后货"),
  order_price: wireMoney.describe("Including freight."),
  freight: wireMoney,
  mode: wireCode([1, 2, 3, 4] as const)
    .optional()
    .describe("1 协议价 (default), 2 团购, 3 特惠, 4 阶梯价"),
});
export type SubmitOrderRequest = z.output<typeof SubmitOrderRequest>;

/** Type-2 invoices need the bank block; these are the fields the supplier needs to issue one (§5 S-11). */
export const VAT_INVOICE_FIELDS = [
  "invoice_name",
  "invoice_phone",
  "invoice_bank",
  "invoice_bank_code",
  "invoice_address",
  "invoice_mobile",
  "invoice_receipt_address",
] as const;

export const SubmitOrderResult = z.object({
  mall_order_id: z.union([z.string(), z.number().transform(String)]).pipe(z.string().min(1)),
  yggc_order: z.union([z.string(), z.number().transform(String)]),
  sku: z.array(OrderSkuLine),
  orderPrice: reportedMoney.describe("Excluding freight."),
  freight: reportedMoney,
});
export type SubmitOrderResult = z.output<typeof SubmitOrderResult>;

export const ConfirmOrderRequest = PlatformField.extend({
  order_id: wireId(64).describe("= mall_order_id."),
  pay_money: wireMoney.optional(),
});
export const ConfirmOrderResult = z.literal(true);
