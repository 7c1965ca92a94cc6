import { integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

/*
 * What several gateway instances on one database share: each supplier's call budget
 * (src/store/repos/call-budget-repo.ts) and the scheduler's tick claims (src/store/repos/schedule-repo.ts).
 */

/** A supplier's QPS budget across instances: a token bucket, in thousandths of a token (negative: calls booked ahead). */
export const supplierCallBuckets = sqliteTable("supplier_call_buckets", {
  supplierId: integer("supplier_id").primaryKey(),
  tokensMilli: integer("tokens_milli").notNull(),
  refilledAt: integer("refilled_at").notNull(),
});

/** A supplier's maxConcurrent across instances: one row per slot, held under a short lease so a killed instance's slots come back. */
export const supplierCallSlots = sqliteTable(
  "supplier_call_slots",
  {
    supplierId: integer("supplier_id").notNull(),
    slot: integer("slot").notNull(),
    holder: text("holder"),
    leaseUntil: integer("lease_until").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.supplierId, t.slot] })],
);

/** Which instance ran a scheduled job's tick: the first to insert the row (src/store/repos/schedule-repo.ts, on both databases). */
export const schedulerTicks = sqliteTable(
  "scheduler_ticks",
  {
    job: text("job").notNull(),
    tickStart: integer("tick_start").notNull(),
    instance: text("instance").notNull(),
    claimedAt: integer("claimed_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.job, t.tickStart] })],
);
