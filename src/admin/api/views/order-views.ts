import { z } from "zod";
import { orderStates } from "../../../store/schema/index.js";
import { EpochMs, countsBy } from "./common-views.js";
import { PushPauseView } from "./supplier-views.js";

const Fen = z.number().int().describe("fen (1/100 yuan)");
const Line = z.object({ sku: z.string(), num: z.number().int(), priceFen: Fen });
const Area = z.object({ province: z.string(), city: z.string(), county: z.string(), town: z.string().nullable() });
const AreaNames = z
  .object({ province: z.string().nullable(), city: z.string().nullable(), county: z.string().nullable() })
  .describe("The area codes' names (M-6); null for a code the table lacks.");
const Invoice = z.object({ type: z.number().int(), title: z.string(), org_code: z.string() });
const Figures = z.object({ lines: z.array(Line.extend({ priceFen: Fen.nullable() })), goodsFen: Fen.nullable(), freightFen: Fen.nullable() });
/** What staff and the supplier both read of an order: its money, area, department, invoice and payment. */
const OrderFacts = {
  freightFen: Fen,
  orderPriceFen: Fen,
  area: Area,
  areaNames: AreaNames,
  dep_name: z.string().nullable(),
  invoice: Invoice,
  payment: z.number().int(),
  remark: z.string().nullable(),
};

/** An order as staff read it (no consignee personal data). */
export const OrderView = z.object({
  id: z.string(),
  yggc_order: z.string(),
  supplier: z.string(),
  state: z.enum(orderStates),
  mall_order_id: z.string().nullable(),
  lines: z.array(Line.extend({ name: z.string().nullable() })),
  goodsFen: Fen,
  ...OrderFacts,
  failure: z.object({ kind: z.string().nullable(), code: z.number().int().nullable(), reason: z.string().nullable() }).nullable(),
  priceCheck: z.array(z.object({ sku: z.string(), storedPriceFen: Fen, supplierPriceFen: Fen.nullable() })).nullable(),
  answerCheck: z
    .object({ ours: Figures, theirs: Figures, differences: z.array(z.string()) })
    .nullable()
    .describe("On a mismatch: our figures and the supplier's S-11 figures."),
  pushPause: PushPauseView.nullable().describe("Set while this order's supplier has its order pushes paused."),
  pushAttempts: z.number().int(),
  nextAttemptAt: EpochMs,
  createdBy: z.string(),
  createdAt: EpochMs,
  submittedAt: EpochMs.nullable(),
  confirmedAt: EpochMs.nullable(),
});

/** One step of an order's push. */
const OrderEvent = z.object({
  id: z.number().int(),
  orderId: z.string(),
  at: EpochMs,
  actor: z.string(),
  fromState: z.string().nullable(),
  toState: z.string(),
  step: z.string(),
  supplierCode: z.number().int().nullable().describe("The contract code the supplier answered."),
  supplierDesc: z.string().nullable(),
  mallOrderId: z.string().nullable(),
  errorKind: z.string().nullable(),
  durationMs: z.number().int().nullable(),
});

export const OrderDetail = OrderView.extend({ timeline: z.array(OrderEvent) });

/** An order as its supplier reads it: what S-11 sent it, no more. */
export const SupplierOrderView = z.object({
  yggc_order: z.string(),
  supplier: z.string(),
  mall_order_id: z.string().nullable(),
  sku: z.array(Line),
  ...OrderFacts,
  createdAt: EpochMs,
  submittedAt: EpochMs.nullable(),
  confirmedAt: EpochMs.nullable(),
});

export const OrderCounts = countsBy(orderStates).describe("Orders by state.");
