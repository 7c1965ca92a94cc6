import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { suppliers } from "./suppliers.js";

/** The push of one order (§5 S-11 → S-12), written before every supplier call so a crash resumes. */
export const orderStates = ["created", "submitting", "submitted", "confirming", "confirmed", "failed"] as const;
export const orderFailureKinds = ["refused", "gave_up", "mismatch"] as const;

/**
 * One order to one supplier. Money in fen. Consignee and invoice bank fields are personal data:
 * each block is one AES-256-GCM sealed JSON (key ring), decrypted only to push or to show.
 */
export const orders = sqliteTable(
  "orders",
  {
    id: text("id").primaryKey(),
    yggcOrder: text("yggc_order").notNull(),
    supplierId: integer("supplier_id")
      .notNull()
      .references(() => suppliers.id),
    state: text("state", { enum: orderStates }).notNull(),
    /** [{sku, num, priceFen, name}]: the agreement price from the product store at intake. */
    linesJson: text("lines_json").notNull(),
    goodsFen: integer("goods_fen").notNull(),
    freightFen: integer("freight_fen").notNull(),
    orderPriceFen: integer("order_price_fen").notNull(),
    province: text("province").notNull(),
    city: text("city").notNull(),
    county: text("county").notNull(),
    town: text("town"),
    /** Sealed {name, phone, mobile, address, zip, email}. */
    consigneeEnc: text("consignee_enc").notNull(),
    depName: text("dep_name"),
    invoiceType: integer("invoice_type").notNull(),
    invoiceTitle: text("invoice_title").notNull(),
    invoiceOrgCode: text("invoice_org_code").notNull(),
    /** Sealed type-2 invoice block (VAT_INVOICE_FIELDS); null for types 1 and 3. */
    invoiceEnc: text("invoice_enc"),
    payment: integer("payment").notNull(),
    remark: text("remark"),
    /** The supplier's order id (S-11 mall_order_id), once it answered. */
    mallOrderId: text("mall_order_id"),
    /**
     * refused: a signed business refusal (已下架, 库存不足, 价格不一致 …): final, a new order is needed;
     * gave_up: outcome unknown after the last attempt; mismatch: S-11 answered other figures than we
     * sent, so it was never confirmed. Staff may retry the last two with the same yggc_order.
     */
    failureKind: text("failure_kind", { enum: orderFailureKinds }),
    failureCode: integer("failure_code"),
    failureReason: text("failure_reason"),
    /** On 价格不一致: [{sku, storedPriceFen, supplierPriceFen}] for staff to decide; never applied. */
    priceCheckJson: text("price_check_json"),
    /** On a mismatch: our figures and the supplier's S-11 figures side by side, for staff to decide. */
    answerCheckJson: text("answer_check_json"),
    /** Supplier calls made in the current state; drives the backoff and the give-up limit. */
    pushAttempts: integer("push_attempts").notNull().default(0),
    nextAttemptAt: integer("next_attempt_at").notNull(),
    /** One pusher per order at a time, across processes; an expired lease may be taken over. */
    leaseOwner: text("lease_owner"),
    leaseUntil: integer("lease_until"),
    createdBy: text("created_by").notNull(),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
    submittedAt: integer("submitted_at"),
    confirmedAt: integer("confirmed_at"),
  },
  (t) => [
    uniqueIndex("orders_yggc_order_uq").on(t.yggcOrder),
    index("orders_due_idx").on(t.state, t.nextAttemptAt),
    // A supplier's orders newest first, keyset on (createdAt, id) with no sort step.
    index("orders_supplier_idx").on(t.supplierId, t.createdAt, t.id),
    // Keyset pages, newest first: (createdAt, id) is the cursor.
    index("orders_created_idx").on(t.createdAt, t.id),
    index("orders_state_created_idx").on(t.state, t.createdAt, t.id),
  ],
);

/** The timeline: every transition and every supplier answer, with who did it and how long it took. */
export const orderEvents = sqliteTable(
  "order_events",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    orderId: text("order_id")
      .notNull()
      .references(() => orders.id),
    at: integer("at").notNull(),
    /** A staff user (`user:…`, `cli`) or `scheduler`. */
    actor: text("actor").notNull(),
    fromState: text("from_state"),
    toState: text("to_state").notNull(),
    /** submit, confirm, price-check, create, retry, lease. */
    step: text("step").notNull(),
    supplierCode: integer("supplier_code"),
    supplierDesc: text("supplier_desc"),
    mallOrderId: text("mall_order_id"),
    /** How the call failed (timeout, network, http, contract, refused), when it did. */
    errorKind: text("error_kind"),
    durationMs: integer("duration_ms"),
  },
  (t) => [index("order_events_order_idx").on(t.orderId, t.id)],
);

/**
 * Suppliers whose order pushes are paused: a push hit a configuration failure on our side of the
 * docking (5004 signature, 5006 field, 5013 platformCode, credentials). The orders are not at fault
 * and stay pushable; the scheduler leaves them until an admin resumes the supplier.
 */
export const orderPushPauses = sqliteTable("order_push_pauses", {
  supplierId: integer("supplier_id")
    .primaryKey()
    .references(() => suppliers.id),
  since: integer("since").notNull(),
  code: integer("code"),
  reason: text("reason").notNull(),
  /** The order whose push found it. */
  yggcOrder: text("yggc_order"),
});
