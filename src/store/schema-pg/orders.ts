import { bigint, index, integer, pgTable, text, uniqueIndex } from "drizzle-orm/pg-core";
import { orderFailureKinds, orderStates } from "../schema/orders.js";
import { epochMs, fen } from "./columns.js";
import { suppliers } from "./suppliers.js";

/** Mirrors src/store/schema/orders.ts column by column (tests/unit/schema-parity.test.ts). */
export const orders = pgTable(
  "orders",
  {
    id: text("id").primaryKey(),
    yggcOrder: text("yggc_order").notNull(),
    supplierId: integer("supplier_id")
      .notNull()
      .references(() => suppliers.id),
    state: text("state", { enum: orderStates }).notNull(),
    linesJson: text("lines_json").notNull(),
    goodsFen: fen("goods_fen").notNull(),
    freightFen: fen("freight_fen").notNull(),
    orderPriceFen: fen("order_price_fen").notNull(),
    province: text("province").notNull(),
    city: text("city").notNull(),
    county: text("county").notNull(),
    town: text("town"),
    consigneeEnc: text("consignee_enc").notNull(),
    depName: text("dep_name"),
    invoiceType: integer("invoice_type").notNull(),
    invoiceTitle: text("invoice_title").notNull(),
    invoiceOrgCode: text("invoice_org_code").notNull(),
    invoiceEnc: text("invoice_enc"),
    payment: integer("payment").notNull(),
    remark: text("remark"),
    mallOrderId: text("mall_order_id"),
    failureKind: text("failure_kind", { enum: orderFailureKinds }),
    failureCode: integer("failure_code"),
    failureReason: text("failure_reason"),
    priceCheckJson: text("price_check_json"),
    answerCheckJson: text("answer_check_json"),
    pushAttempts: integer("push_attempts").notNull().default(0),
    nextAttemptAt: epochMs("next_attempt_at").notNull(),
    leaseOwner: text("lease_owner"),
    leaseUntil: epochMs("lease_until"),
    createdBy: text("created_by").notNull(),
    createdAt: epochMs("created_at").notNull(),
    updatedAt: epochMs("updated_at").notNull(),
    submittedAt: epochMs("submitted_at"),
    confirmedAt: epochMs("confirmed_at"),
  },
  (t) => [
    uniqueIndex("orders_yggc_order_uq").on(t.yggcOrder),
    index("orders_due_idx").on(t.state, t.nextAttemptAt),
    index("orders_supplier_idx").on(t.supplierId, t.createdAt, t.id),
    index("orders_created_idx").on(t.createdAt, t.id),
    index("orders_state_created_idx").on(t.state, t.createdAt, t.id),
  ],
);

export const orderEvents = pgTable(
  "order_events",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedByDefaultAsIdentity(),
    orderId: text("order_id")
      .notNull()
      .references(() => orders.id),
    at: epochMs("at").notNull(),
    actor: text("actor").notNull(),
    fromState: text("from_state"),
    toState: text("to_state").notNull(),
    step: text("step").notNull(),
    supplierCode: integer("supplier_code"),
    supplierDesc: text("supplier_desc"),
    mallOrderId: text("mall_order_id"),
    errorKind: text("error_kind"),
    durationMs: integer("duration_ms"),
  },
  (t) => [index("order_events_order_idx").on(t.orderId, t.id)],
);

export const orderPushPauses = pgTable("order_push_pauses", {
  supplierId: integer("supplier_id")
    .primaryKey()
    .references(() => suppliers.id),
  since: epochMs("since").notNull(),
  code: integer("code"),
  reason: text("reason").notNull(),
  yggcOrder: text("yggc_order"),
});
