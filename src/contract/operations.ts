import type { z } from "zod";
import { ErrorCode } from "./error-codes.js";
import { TokenRequest, TokenResult } from "./auth-fields.js";
import * as M from "./mall.js";
import * as S from "./supplier.js";

/**
 * Every docking operation with its path, input and result schemas and the codes it may answer.
 * The mall router, the supplier client, the simulator and the OpenAPI documents all read this table.
 */
export type Operation<Req extends z.ZodType = z.ZodType, Res extends z.ZodType = z.ZodType> = {
  readonly id: string;
  readonly path: string;
  readonly title: string;
  readonly summary: string;
  /** The call's own fields, without the §2.2 signing fields. */
  readonly request: Req;
  readonly result: Res;
  readonly errors: readonly ErrorCode[];
  /** Fields with an accepted alias (§3). */
  readonly aliases?: Readonly<Record<string, string>>;
  /** At least one of these fields is required, answered with this code before any other field check. */
  readonly oneOf?: { readonly fields: readonly string[]; readonly code: ErrorCode };
};

const op = <Req extends z.ZodType, Res extends z.ZodType>(o: Operation<Req, Res>) => o;

const AUTH_ERRORS = [ErrorCode.RequiredFieldMissing, ErrorCode.TokenExpired, ErrorCode.TimestampInvalid, ErrorCode.SignatureInvalid] as const;
const SUPPLIER_ERRORS = [...AUTH_ERRORS, ErrorCode.PlatformCodeInvalid, ErrorCode.Other] as const;

export const mallOperations = {
  token: op({
    id: "M-1",
    path: "/gyssc/token",
    title: "获取电子卖场接口交互凭证",
    summary: "Suppliers exchange their mall account for an access token (§2.1).",
    request: TokenRequest,
    result: TokenResult,
    errors: [
      ErrorCode.RequiredFieldMissing,
      ErrorCode.TimestampInvalid,
      ErrorCode.UsernameUnknown,
      ErrorCode.PasswordWrong,
      ErrorCode.SignatureInvalid,
      ErrorCode.Other,
    ],
  }),
  platformInfo: op({
    id: "M-2",
    path: "/gyssc/platform/info",
    title: "获取平台信息",
    summary: "The platform code to send on supplier calls, and who the caller is.",
    request: M.PlatformInfoRequest,
    result: M.PlatformInfo,
    errors: [...AUTH_ERRORS, ErrorCode.Other],
  }),
  catalogs: op({
    id: "M-3",
    path: "/gyssc/platform/catalogs",
    title: "获取平台品目信息",
    summary: "The standard catalog (品目) tree, flat; or the children of one catalog.",
    request: M.CatalogsRequest,
    result: M.CatalogsResult,
    errors: [...AUTH_ERRORS, ErrorCode.CatalogNotFound, ErrorCode.Other],
  }),
  regionPromise: op({
    id: "M-4",
    path: "/gyssc/platform/getRegionPromise",
    title: "获取商品承诺/产品认证信息/七天无理由退货",
    summary: "Promise, certification and 7-day-return options of a region.",
    request: M.RegionPromiseRequest,
    result: M.RegionPromiseResult,
    errors: [...AUTH_ERRORS, ErrorCode.Other],
  }),
  catalogParams: op({
    id: "M-5",
    path: "/catalogsParam",
    title: "获取标准品目标准参数项信息",
    summary: "The standard parameter items of a leaf catalog, with allowed values.",
    request: M.CatalogParamsRequest,
    result: M.CatalogParamsResult,
    oneOf: { fields: ["id", "interfaceCode"], code: ErrorCode.CatalogIdMissing },
    errors: [
      ...AUTH_ERRORS,
      ErrorCode.CatalogIdMissing,
      ErrorCode.CatalogNotFound,
      ErrorCode.CatalogVersionStale,
      ErrorCode.CatalogParamsNotFound,
      ErrorCode.CatalogParamsUnavailable,
      ErrorCode.Other,
    ],
  }),
  areas: op({
    id: "M-6",
    path: "/getAreas",
    title: "获取地址信息",
    summary: "Provinces, or the children of an area (GB/T 2260).",
    request: M.AreasRequest,
    result: M.AreasResult,
    errors: [...AUTH_ERRORS, ErrorCode.Other],
  }),
  brands: op({
    id: "M-7",
    path: "/brands",
    title: "获取品牌信息",
    summary: "Brands, filtered by catalog code and name, paged.",
    request: M.BrandsRequest,
    result: M.BrandsResult,
    errors: [...AUTH_ERRORS, ErrorCode.Other],
  }),
} as const;

export const supplierOperations = {
  token: op({
    id: "S-1",
    path: "/api/auth2/access_token",
    title: "授权获取 Access Token",
    summary: "The mall exchanges the account the supplier issued it for an access token (§2.1).",
    request: TokenRequest,
    result: TokenResult,
    errors: [
      ErrorCode.RequiredFieldMissing,
      ErrorCode.TimestampInvalid,
      ErrorCode.UsernameUnknown,
      ErrorCode.PasswordWrong,
      ErrorCode.SignatureInvalid,
      ErrorCode.Other,
    ],
  }),
  messagePool: op({
    id: "S-2",
    path: "/api/product/getMessagePool",
    title: "获取电商商品变动消息",
    summary: "Up to 100 undeleted messages of one type, oldest first.",
    request: S.MessagePoolRequest,
    result: S.MessagePoolResult,
    errors: SUPPLIER_ERRORS,
  }),
  messageDelete: op({
    id: "S-3",
    path: "/api/product/delMessagePool",
    title: "删除消息",
    summary: "Delete handled messages; deleting a deleted id succeeds.",
    request: S.MessageDeleteRequest,
    result: S.MessageDeleteResult,
    errors: SUPPLIER_ERRORS,
    aliases: { id: "messageId" },
  }),
  detail: op({
    id: "S-4",
    path: "/api/product/detail_standard",
    title: "获取商品详情",
    summary: "One sku's detail: catalog, brand, introduction.",
    request: S.SingleSkuRequest,
    result: S.ProductDetail,
    errors: SUPPLIER_ERRORS,
  }),
  attributes: op({
    id: "S-5",
    path: "/api/product/product_attributes_standard",
    title: "获取商品参数",
    summary: "One sku's standard parameters; one row per value for multi-select.",
    request: S.SingleSkuRequest,
    result: S.ProductAttributesResult,
    errors: SUPPLIER_ERRORS,
  }),
  promise: op({
    id: "S-6",
    path: "/api/product/product_promise",
    title: "获取商品承诺函/产品认证信息/七天无理由退货",
    summary: "Promises, certifications and 7-day return of a sku batch.",
    request: S.SkuBatchRequest,
    result: S.ProductPromisesResult,
    errors: SUPPLIER_ERRORS,
    aliases: { skus: "sku" },
  }),
  shelfStates: op({
    id: "S-7",
    path: "/api/product/shelf_states",
    title: "上下架状态",
    summary: "Shelf state of a sku batch: 1 上架, 0 下架.",
    request: S.SkuBatchRequest,
    result: S.ShelfStatesResult,
    errors: SUPPLIER_ERRORS,
    aliases: { skus: "sku" },
  }),
  stocks: op({
    id: "S-8",
    path: "/api/product/stocks",
    title: "库存",
    summary: "Stock of a sku batch in one area.",
    request: S.StocksRequest,
    result: S.StocksResult,
    errors: SUPPLIER_ERRORS,
    aliases: { skus: "sku" },
  }),
  images: op({
    id: "S-9",
    path: "/api/product/images",
    title: "图片",
    summary: "Images of a sku batch; the smallest order is the main image.",
    request: S.SkuBatchRequest,
    result: S.ImagesResult,
    errors: SUPPLIER_ERRORS,
    aliases: { skus: "sku" },
  }),
  prices: op({
    id: "S-10",
    path: "/api/product/prices",
    title: "价格",
    summary: "Agreement price and mall price of a sku batch.",
    request: S.SkuBatchRequest,
    result: S.PricesResult,
    errors: SUPPLIER_ERRORS,
    aliases: { skus: "sku" },
  }),
  submitOrder: op({
    id: "S-11",
    path: "/api/order/submit",
    title: "推送订单数据",
    summary: "Pre-order: reserves stock; idempotent on yggc_order.",
    request: S.SubmitOrderRequest,
    result: S.SubmitOrderResult,
    errors: SUPPLIER_ERRORS,
  }),
  confirmOrder: op({
    id: "S-12",
    path: "/api/order/confirm",
    title: "确认接收订单",
    summary: "Confirm a pre-order; confirming twice succeeds.",
    request: S.ConfirmOrderRequest,
    result: S.ConfirmOrderResult,
    errors: SUPPLIER_ERRORS,
  }),
} as const;

export type MallOperationName = keyof typeof mallOperations;
export type SupplierOperationName = keyof typeof supplierOperations;
