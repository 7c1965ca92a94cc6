import { orderEvents, orderPushPauses, orders, orderStates } from "../schema/index.js";
import { statementFor } from "../sql/placeholders.js";
import type { SqlRunner, SqlStore } from "../sql/sql-store.js";
import { rowInsert } from "./bulk-rows.js";
import { columnNames, selectColumns } from "./row-sql.js";

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

const ORDER = selectColumns(orders);
const EVENT = selectColumns(orderEvents);
const PAUSE = selectColumns(orderPushPauses);
const OPEN_LIST = OPEN_STATES.map((s) => `'${s}'`).join(", ");

/**
 * Orders and their timeline. Every push write is fenced by the lease: it lands only while the
 * writer still holds the order, so a pusher that lost its lease can never overwrite a newer state.
 */
export type OrderRepo = ReturnType<typeof createOrderRepo>;

export function createOrderRepo(sql: SqlStore) {
  const { dialect } = sql;
  const statement = statementFor(dialect);
  const S = {
    byId: statement((p) => `SELECT ${ORDER} FROM orders WHERE id = ${p()}`),
    byYggc: statement((p) => `SELECT ${ORDER} FROM orders WHERE yggc_order = ${p()}`),
    events: statement((p) => `SELECT ${EVENT} FROM order_events WHERE order_id = ${p()} ORDER BY id`),
    counts: "SELECT state, count(*) AS n FROM orders GROUP BY state",
    // Free, expired, or already ours. Parameters: owner, lease end, id, now, owner.
    claim: statement(
      (p) =>
        `UPDATE orders SET lease_owner = ${p()}, lease_until = ${p()} WHERE id = ${p()} AND (lease_until IS NULL OR lease_until < ${p()} OR lease_owner = ${p()}) RETURNING ${ORDER}`,
    ),
    // Parameters: now, now, limit.
    due: statement(
      (p) =>
        `SELECT id FROM orders WHERE state IN (${OPEN_LIST}) AND next_attempt_at <= ${p()} AND (lease_until IS NULL OR lease_until < ${p()}) ` +
        `AND supplier_id NOT IN (SELECT supplier_id FROM order_push_pauses) ORDER BY next_attempt_at LIMIT ${p()}`,
    ),
    // PostgreSQL, one statement: the due rows are locked as they are picked, and a row another
    // instance is claiming at this moment is passed over rather than waited for (or fought over
    // until one transaction fails to serialize). The lock re-reads each row, so a lease taken since
    // the statement began is seen and that order is not claimed twice. Parameters: owner, lease end, now, now, limit.
    claimDue:
      `UPDATE orders SET lease_owner = $1, lease_until = $2 WHERE id IN (SELECT id FROM orders WHERE state IN (${OPEN_LIST}) AND next_attempt_at <= $3 ` +
      `AND (lease_until IS NULL OR lease_until < $4) AND supplier_id NOT IN (SELECT supplier_id FROM order_push_pauses) ` +
      `ORDER BY next_attempt_at LIMIT $5 FOR UPDATE SKIP LOCKED) RETURNING ${ORDER}`,
    pauseInsert: rowInsert(orderPushPauses, ["supplierId", "since", "code", "reason", "yggcOrder"], "ON CONFLICT (supplier_id) DO NOTHING", dialect),
    pauseOf: statement((p) => `SELECT ${PAUSE} FROM order_push_pauses WHERE supplier_id = ${p()}`),
    pauses: `SELECT ${PAUSE} FROM order_push_pauses ORDER BY since`,
    resume: statement((p) => `DELETE FROM order_push_pauses WHERE supplier_id = ${p()} RETURNING ${PAUSE}`),
    release: statement((p) => `UPDATE orders SET lease_owner = NULL, lease_until = NULL WHERE id = ${p()} AND lease_owner = ${p()}`),
  };

  /** An INSERT of the keys a row carries (the others take their defaults), for its database. */
  const insertOf = (table: typeof orders | typeof orderEvents, row: Readonly<Record<string, unknown>>, tail = "") => {
    const w = rowInsert(
      table,
      Object.keys(row).filter((k) => row[k] !== undefined),
      tail,
      dialect,
    );
    return { text: w.sql, values: w.values(row) };
  };
  const insertEvent = async (tx: SqlRunner, orderId: string, event: NewOrderEvent): Promise<void> => {
    const e = insertOf(orderEvents, { ...event, orderId });
    await tx.run(e.text, e.values);
  };
  const claim = (id: string, owner: string, now: number, leaseMs: number, db: SqlRunner = sql): Promise<OrderRow | undefined> =>
    db.get<OrderRow>(S.claim, [owner, now + leaseMs, id, now, owner]);

  return {
    byId: (id: string): Promise<OrderRow | undefined> => sql.get<OrderRow>(S.byId, [id]),
    byYggcOrder: (yggcOrder: string): Promise<OrderRow | undefined> => sql.get<OrderRow>(S.byYggc, [yggcOrder]),
    events: (orderId: string): Promise<OrderEventRow[]> => sql.all<OrderEventRow>(S.events, [orderId]),

    /** false when the yggc_order is taken (the caller mints another). In `tx` when given, else in a transaction of its own. */
    insert(row: NewOrderRow, event: NewOrderEvent, tx?: SqlRunner): Promise<boolean> {
      const o = insertOf(orders, row, "ON CONFLICT (yggc_order) DO NOTHING");
      const write = async (db: SqlRunner) => {
        const inserted = (await db.run(o.text, o.values)) === 1;
        if (inserted) await insertEvent(db, row.id, event);
        return inserted;
      };
      return tx ? write(tx) : sql.transaction(write);
    },

    list(filter: OrderFilter): Promise<OrderRow[]> {
      const values: unknown[] = [];
      const text = statement((p) => {
        const where: string[] = [];
        if (filter.state !== undefined) {
          where.push(`state = ${p()}`);
          values.push(filter.state);
        }
        if (filter.supplierId !== undefined) {
          where.push(`supplier_id = ${p()}`);
          values.push(filter.supplierId);
        }
        if (filter.before !== undefined) {
          where.push(`(created_at, id) < (${p()}, ${p()})`);
          values.push(filter.before.createdAt, filter.before.id);
        }
        values.push(filter.limit, filter.offset ?? 0);
        return `SELECT ${ORDER} FROM orders ${where.length > 0 ? `WHERE ${where.join(" AND ")} ` : ""}ORDER BY created_at DESC, id DESC LIMIT ${p()} OFFSET ${p()}`;
      });
      return sql.all<OrderRow>(text, values);
    },

    async countByState(): Promise<Record<OrderState, number>> {
      const counts = Object.fromEntries(orderStates.map((s) => [s, 0])) as Record<OrderState, number>;
      for (const row of await sql.all<{ state: OrderState; n: number }>(S.counts)) counts[row.state] = Number(row.n);
      return counts;
    },

    /** Takes the lease of one order: free, expired, or already ours. */
    claim: (id: string, owner: string, now: number, leaseMs: number): Promise<OrderRow | undefined> => claim(id, owner, now, leaseMs),

    /** Leases up to `limit` open orders whose next attempt is due, oldest due first. */
    async claimDue(owner: string, now: number, leaseMs: number, limit: number): Promise<OrderRow[]> {
      if (limit <= 0) return [];
      if (dialect === "postgres") {
        const claimed = await sql.all<OrderRow>(S.claimDue, [owner, now + leaseMs, now, now, limit]);
        return claimed.sort((a, b) => a.nextAttemptAt - b.nextAttemptAt);
      }
      return sql.transaction(async (tx) => {
        const claimed: OrderRow[] = [];
        for (const { id } of await tx.all<{ id: string }>(S.due, [now, now, limit])) {
          const row = await claim(id, owner, now, leaseMs, tx);
          if (row) claimed.push(row);
        }
        return claimed;
      });
    },

    /**
     * Applies a push step and its timeline event in one transaction, extending the lease; undefined
     * when `owner` no longer holds the order (nothing is written then).
     */
    apply(id: string, owner: string, now: number, leaseMs: number, patch: OrderPatch, event: NewOrderEvent | null): Promise<OrderRow | undefined> {
      const changes: Record<string, unknown> = { ...patch, updatedAt: now, leaseUntil: now + leaseMs };
      const keys = Object.keys(changes).filter((k) => changes[k] !== undefined);
      const names = columnNames(orders, keys);
      const text = statement(
        (p) => `UPDATE orders SET ${names.map((n) => `"${n}" = ${p()}`).join(", ")} WHERE id = ${p()} AND lease_owner = ${p()} RETURNING ${ORDER}`,
      );
      const values = [...keys.map((k) => changes[k]), id, owner];
      return sql.transaction(async (tx) => {
        const row = await tx.get<OrderRow>(text, values);
        if (row && event) await insertEvent(tx, id, event);
        return row;
      });
    },

    /** Pauses the supplier's order pushes; a pause already in place is kept as it was (its first cause). */
    pause(row: OrderPushPauseRow): Promise<{ pause: OrderPushPauseRow; created: boolean }> {
      return sql.transaction(async (tx) => {
        const created = (await tx.run(S.pauseInsert.sql, S.pauseInsert.values(row))) === 1;
        return { pause: (await tx.get<OrderPushPauseRow>(S.pauseOf, [row.supplierId])) ?? row, created };
      });
    },
    /** The pause removed, or undefined when the supplier was not paused; in `tx` when given (with its audit row). */
    resume: (supplierId: number, tx: SqlRunner = sql): Promise<OrderPushPauseRow | undefined> => tx.get<OrderPushPauseRow>(S.resume, [supplierId]),
    pauseOf: (supplierId: number): Promise<OrderPushPauseRow | undefined> => sql.get<OrderPushPauseRow>(S.pauseOf, [supplierId]),
    pauses: (): Promise<OrderPushPauseRow[]> => sql.all<OrderPushPauseRow>(S.pauses),

    async release(id: string, owner: string): Promise<void> {
      await sql.run(S.release, [id, owner]);
    },
  };
}
