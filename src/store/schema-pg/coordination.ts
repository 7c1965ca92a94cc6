import { integer, pgTable, primaryKey, text } from "drizzle-orm/pg-core";
import { epochMs } from "./columns.js";

/** Mirrors src/store/schema/coordination.ts column by column (tests/unit/schema-parity.test.ts). */
export const supplierCallBuckets = pgTable("supplier_call_buckets", {
  supplierId: integer("supplier_id").primaryKey(),
  tokensMilli: integer("tokens_milli").notNull(),
  refilledAt: epochMs("refilled_at").notNull(),
});

export const supplierCallSlots = pgTable(
  "supplier_call_slots",
  {
    supplierId: integer("supplier_id").notNull(),
    slot: integer("slot").notNull(),
    holder: text("holder"),
    leaseUntil: epochMs("lease_until").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.supplierId, t.slot] })],
);

export const schedulerTicks = pgTable(
  "scheduler_ticks",
  {
    job: text("job").notNull(),
    tickStart: epochMs("tick_start").notNull(),
    instance: text("instance").notNull(),
    claimedAt: epochMs("claimed_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.job, t.tickStart] })],
);
