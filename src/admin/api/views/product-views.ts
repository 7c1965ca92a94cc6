import { z } from "zod";
import { EpochMs, Reason } from "./common-views.js";

const productStatuses = ["active", "rejected", "delisted"] as const;
export const listingStates = ["none", "applied", "approved", "refused"] as const;
const Fen = z.number().int().describe("fen (1/100 yuan)");

/** The columns a product search answers; prices in fen, times in epoch ms. */
const productFields = {
  id: z.number().int(),
  supplierId: z.number().int(),
  supplier: z.string().describe("The supplier's code."),
  sku: z.string(),
  status: z.enum(productStatuses),
  name: z.string().nullable(),
  model: z.string().nullable(),
  catalogId: z.string().nullable(),
  interfaceCode: z.string().nullable(),
  brandId: z.string().nullable(),
  brandName: z.string().nullable(),
  url: z.string().nullable(),
  imagePath: z.string().nullable(),
  shelfState: z.number().int().nullable(),
  priceFen: Fen.nullable(),
  mallPriceFen: Fen.nullable(),
  marketPriceFen: Fen.nullable(),
  listingState: z.enum(listingStates),
  listingReason: z.string().nullable().describe("Why staff refused the listing."),
  listingChangedAt: EpochMs.nullable(),
  detailReadAt: EpochMs.nullable(),
  priceReadAt: EpochMs.nullable(),
  shelfReadAt: EpochMs.nullable(),
  createdAt: EpochMs,
  updatedAt: EpochMs,
};

export const ProductRow = z.object({ ...productFields, reasons: z.array(Reason).describe("Every §7 failure of the last validation.") });

const Attribute = z.object({ attributeID: z.string(), attributeName: z.string(), valueID: z.string(), value: z.string() });

/** One product with what the supplier sent (S-4 detail, images …) and the mall's checks of it. */
export const ProductDetail = z.object({
  product: z.object({
    ...productFields,
    reasons: z.array(Reason),
    detail: z.unknown().describe("The S-4 detail as received."),
    attributes: z.array(Attribute),
    promises: z.unknown().describe("As received."),
    images: z.unknown().describe("As received."),
    sourceMessageIds: z.array(z.string()).describe("The last message ids that touched this sku, newest last."),
  }),
  supplierDomains: z.array(z.string()),
  parameters: z.array(
    z.object({
      attributeId: z.string(),
      name: z.string(),
      unit: z.string(),
      required: z.boolean(),
      allowed: z.array(z.string()).describe("What the catalog allows for a select item; empty for text and number items."),
      sent: z.array(z.string()),
      broken: z.array(Reason).nullable().describe("null when the value keeps the standard."),
      foreign: z.boolean().describe("The catalog does not define this item."),
    }),
  ),
  stock: z.array(
    z.object({
      supplierId: z.number().int(),
      sku: z.string(),
      area: z.string().describe("province_city_county codes (S-8)"),
      areaName: z.string(),
      num: z.number().int().describe("-1: unknown"),
      stockStateId: z.number().int().nullable(),
      description: z.string(),
      checkedAt: EpochMs,
    }),
  ),
  priceHistory: z.array(
    z.object({
      id: z.number().int(),
      supplierId: z.number().int(),
      sku: z.string(),
      priceFen: Fen,
      mallPriceFen: Fen,
      at: EpochMs,
      runId: z.string().nullable(),
      minPriceFen: Fen.nullable().describe("On a compacted day or month: its lowest agreement price."),
      maxPriceFen: Fen.nullable().describe("On a compacted day or month: its highest agreement price."),
    }),
  ),
});

export const ListingChange = z.object({ sku: z.string(), listingState: z.enum(listingStates), reason: z.string().nullable() });
