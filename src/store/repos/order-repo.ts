import { and, asc, desc, eq, inArray, isNull, lt, lte, notInArray, or, sql } from "drizzle-orm";
import type { Store } from "../database.js";
import { withTransaction } from "../database.js";
import { orderEvents, orderPushPauses, orders, orderStates } from "../schema/index.js";

export type OrderRow = typeof orders.$inferSelect;
export type NewOrderRow = typeof orders.$inferInsert;
export type OrderState = (typeof orderStates)[number];
export type OrderEventRow = typeof orderEvents.$inferSelect;
export type OrderPushPauseRow = typeof orderPushPauses.$inferSelect;
export type NewOrderEvent = Omit<typeof orderEvents.$inferInsert, "id" | "orderId">;
/** Columns a push step may change; identity, lines and personal data are fixed at intake. */
export type OrderPatch = Partial<
  Pick<
    OrderRow,
    | "state"
    | "mallOrderId"
    | "failureKind"
    | "failureCode"
    | "failureReason"
    | "priceCheckJson"
    | "answerCheckJson"
    | "pushAttempts"
    | "nextAttemptAt"
    | "submittedAt"
    | "confirmedAt"
  >
>;
/** Newest first; `before` is the keyset cursor (the last row's createdAt and id). */
export type OrderFilter = { state?: OrderState; supplierId?: number; limit: number; offset?: number; before?: { createdAt: number; id: string } };

/** States a pusher still has work in. */
export const OPEN_STATES = ["created", "submitting", "submitted", "confirming"] as const satisfies readonly OrderState[];

/**
 * Orders and their timeline. Every push write is fenced by the lease: it lands only while the
 * writer still holds the order, so a pusher that lost its lease can never overwrite a newer state.
 */
export type OrderRepo = ReturnType<typeof createOrderRepo>;

export function createOrderRepo(store: Store) {
  const { db } = store;
  const byId = db
    .select()
    .from(orders)
    .where(eq(orders.id, sql.placeholder("id")))
    .prepare();
  const byYggc = db
    .select()
    .from(orders)
    .where(eq(orders.yggcOrder, sql.placeholder("yggc")))
    .prepare();
  const eventsOf = db
    .select()
    .from(orderEvents)
    .where(eq(orderEvents.orderId, sql.placeholder("id")))
    .orderBy(asc(orderEvents.id))
    .prepare();
  const leaseFree = (now: number) => or(isNull(orders.leaseUntil), lt(orders.leaseUntil, now));
  const insertEvent = (orderId: string, event: NewOrderEvent) =>
    db
      .insert(orderEvents)
      .values({ ...event, orderId })
      .run();

  const claim = (id: string, owner: string, now: number, leaseMs: number): OrderRow | undefined =>
    db
      .update(orders)
      .set({ leaseOwner: owner, leaseUntil: now + leaseMs })
      .where(and(eq(orders.id, id), or(leaseFree(now), eq(orders.leaseOwner, owner))))
      .returning()
      .get();

  return {
    byId: (id: string): OrderRow | undefined => byId.get({ id }),
    byYggcOrder: (yggcOrder: string): OrderRow | undefined => byYggc.get({ yggc: yggcOrder }),
    events: (orderId: string): OrderEventRow[] => eventsOf.all({ id: orderId }),

    /** false when the yggc_order is taken (the caller mints another). */
    insert(row: NewOrderRow, event: NewOrderEvent): boolean {
      return withTransaction(store, () => {
        const inserted = db.insert(orders).values(row).onConflictDoNothing({ target: orders.yggcOrder }).run().changes === 1;
        if (inserted) insertEvent(row.id, event);
        return inserted;
      });
    },

    list(filter: OrderFilter): OrderRow[] {
      const where = and(
        filter.state === undefined ? undefined : eq(orders.state, filter.state),
        filter.supplierId === undefined ? undefined : eq(orders.supplierId, filter.supplierId),
        filter.before === undefined ? undefined : sql`(${orders.createdAt}, ${orders.id}) < (${filter.before.createdAt}, ${filter.before.id})`,
      );
      return db
        .select()
        .from(orders)
        .where(where)
        .orderBy(desc(orders.createdAt), desc(orders.id))
        .limit(filter.limit)
        .offset(filter.offset ?? 0)
        .all();
    },

    countByState(): Record<OrderState, number> {
      const counts = Object.fromEntries(orderStates.map((s) => [s, 0])) as Record<OrderState, number>;
      for (const row of db
        .select({ state: orders.state, n: sql<number>`count(*)` })
        .from(orders)
        .groupBy(orders.state)
        .all())
        counts[row.state] = row.n;
      return counts;
    },

    /** Takes the lease of one order: free, expired, or already ours. */
    claim,

    /** Leases up to `limit` open orders whose next attempt is due, oldest due first. */
    claimDue(owner: string, now: number, leaseMs: number, limit: number): OrderRow[] {
      if (limit <= 0) return [];
      const due = and(
        inArray(orders.state, OPEN_STATES),
        lte(orders.nextAttemptAt, now),
        leaseFree(now),
        notInArray(orders.supplierId, db.select({ id: orderPushPauses.supplierId }).from(orderPushPauses)),
      );
      if (store.dialect === "postgres") {
        // One statement: the due rows are locked as they are picked, and a row another instance is
        // claiming at this moment is passed over rather than waited for (or fought over until one
        // transaction fails to serialize). The lock re-reads each row, so a lease taken since the
        // statement began is seen and that order is not claimed twice.
        const picked = sql`SELECT ${orders.id} FROM ${orders} WHERE ${due} ORDER BY ${orders.nextAttemptAt} LIMIT ${limit} FOR UPDATE SKIP LOCKED`;
        const claimed = db
          .update(orders)
          .set({ leaseOwner: owner, leaseUntil: now + leaseMs })
          .where(sql`${orders.id} IN (${picked})`)
          .returning()
          .all();
        return claimed.sort((a, b) => a.nextAttemptAt - b.nextAttemptAt);
      }
      return withTransaction(store, () => {
        const ids = db.select({ id: orders.id }).from(orders).where(due).orderBy(asc(orders.nextAttemptAt)).limit(limit).all();
        return ids.flatMap((d) => {
          const row = claim(d.id, owner, now, leaseMs);
          return row ? [row] : [];
        });
      });
    },

    /**
     * Applies a push step and its timeline event in one transaction, extending the lease; undefined
     * when `owner` no longer holds the order (nothing is written then).
     */
    apply(id: string, owner: string, now: number, leaseMs: number, patch: OrderPatch, event: NewOrderEvent | null): OrderRow | undefined {
      return withTransaction(store, () => {
        const row = db
          .update(orders)
          .set({ ...patch, updatedAt: now, leaseUntil: now + leaseMs })
          .where(and(eq(orders.id, id), eq(orders.leaseOwner, owner)))
          .returning()
          .get();
        if (row && event) insertEvent(id, event);
        return row;
      });
    },

    /** Pauses the supplier's order pushes; a pause already in place is kept as it was (its first cause). */
    pause(row: OrderPushPauseRow): { pause: OrderPushPauseRow; created: boolean } {
      const created = db.insert(orderPushPauses).values(row).onConflictDoNothing({ target: orderPushPauses.supplierId }).run().changes === 1;
      return { pause: db.select().from(orderPushPauses).where(eq(orderPushPauses.supplierId, row.supplierId)).get() ?? row, created };
    },
    /** The pause removed, or undefined when the supplier was not paused. */
    resume(supplierId: number): OrderPushPauseRow | undefined {
      return db.delete(orderPushPauses).where(eq(orderPushPauses.supplierId, supplierId)).returning().get();
    },
    pauseOf: (supplierId: number): OrderPushPauseRow | undefined => db.select().from(orderPushPauses).where(eq(orderPushPauses.supplierId, supplierId)).get(),
    pauses: (): OrderPushPauseRow[] => db.select().from(orderPushPauses).orderBy(asc(orderPushPauses.since)).all(),

    release(id: string, owner: string): void {
      db.update(orders)
        .set({ leaseOwner: null, leaseUntil: null })
        .where(and(eq(orders.id, id), eq(orders.leaseOwner, owner)))
        .run();
    },
  };
}
