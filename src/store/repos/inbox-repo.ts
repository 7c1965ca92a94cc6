import { and, asc, eq, inArray, lte, sql } from "drizzle-orm";
import type { Store } from "../database.js";
import { messageInbox } from "../schema/index.js";
import { bulkInsert } from "./bulk-rows.js";
import { selectColumns } from "./row-sql.js";

export type InboxRow = typeof messageInbox.$inferSelect;
export type NewInboxMessage = Pick<InboxRow, "messageId" | "type" | "sku" | "state" | "payloadJson" | "messageTime">;
/** A message that breaks the contract, kept raw in quarantine; `deletable` when S-3 can take its id. */
export type NewUnparseableMessage = Pick<InboxRow, "messageId" | "type" | "sku" | "payloadJson" | "messageTime"> & { parseError: string; deletable: boolean };
export type InboxStatus = InboxRow["status"];

/** How many of the oldest due messages one look at the inbox reads to find distinct skus. */
const DUE_SCAN_ROWS = 5_000;

/** The message inbox: what the puller took from each supplier's pool, until it is settled. */
export type InboxRepo = ReturnType<typeof createInboxRepo>;

export function createInboxRepo(store: Store) {
  const { db, connection: sqlite } = store;
  const onPostgres = store.dialect === "postgres";
  /** One commit at synchronous=FULL (the WAL is synced before it returns), the rest stay NORMAL. */
  const durably = <T>(work: () => T): T => {
    sqlite.pragma("synchronous = FULL");
    try {
      return work();
    } finally {
      sqlite.pragma("synchronous = NORMAL");
    }
  };
  const insertInbox = sqlite.prepare(
    "INSERT INTO message_inbox (supplier_id, message_id, type, sku, state, payload_json, message_time, status, attempts, next_attempt_at, received_at, last_run_id) " +
      "VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?) ON CONFLICT (supplier_id, message_id) DO NOTHING",
  );
  const insertUnparseable = sqlite.prepare(
    "INSERT INTO message_inbox (supplier_id, message_id, type, sku, state, payload_json, message_time, status, attempts, next_attempt_at, received_at, last_run_id, parse_error, last_error, settled_at, deleted_at) " +
      "VALUES (?, ?, ?, ?, NULL, ?, ?, 'quarantined', 0, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (supplier_id, message_id) DO NOTHING",
  );
  // The row holding each sku's max(seq), found by its key: a bare column beside an aggregate is SQLite's alone.
  // PostgreSQL: the newest per sku, a LATERAL subquery each (as pendingOfSkus, whatever the statistics);
  // max(seq + 0), because max(seq) becomes ORDER BY seq DESC LIMIT 1, which walks the whole table
  // backwards on the primary key for a sku whose rows are old; type + 0 and status || '' leave the
  // (supplier, sku) index as the only one that narrows the rows, instead of every message of the type.
  // Parameters: the skus' JSON, supplier id, type.
  const lastSettledScan = sqlite.prepare(
    onPostgres
      ? 'SELECT k.wanted AS sku, x.seq, i.message_id AS "messageId" FROM json_array_elements_text(CAST(? AS json)) AS k(wanted) CROSS JOIN LATERAL (' +
          "SELECT max(m.seq + 0) AS seq FROM message_inbox AS m WHERE m.supplier_id = ? AND m.type + 0 = ? AND m.sku = k.wanted " +
          "AND m.status || '' IN ('applied','rejected','skipped')) AS x JOIN message_inbox AS i ON i.seq = x.seq"
      : "SELECT sku, seq, message_id AS messageId FROM message_inbox WHERE seq IN (SELECT max(seq) FROM message_inbox " +
          "WHERE sku IN (SELECT value FROM json_each(?)) AND supplier_id = ? AND type = ? AND status IN ('applied','rejected','skipped') GROUP BY sku)",
  );
  // A known id the mall already settled and deleted from the pool, served again: the supplier reused
  // the id for a new message (counters reset, ids recycled). It goes to the back as a new delivery.
  const dropReusedInbox = sqlite.prepare(
    "DELETE FROM message_inbox WHERE supplier_id = ? AND message_id = ? AND deleted_at IS NOT NULL AND status != 'pending'",
  );
  const dueScan = sqlite
    .prepare(
      "SELECT sku FROM message_inbox WHERE supplier_id = ? AND type = ? AND status = 'pending' AND next_attempt_at <= ? AND parse_error IS NULL ORDER BY seq LIMIT ?",
    )
    .pluck();
  // A chunk's messages of one outcome in one statement (a round trip each on PostgreSQL).
  const settleAll = sqlite.prepare(
    "UPDATE message_inbox SET status = ?, last_error = ?, settled_at = ?, last_run_id = ?, attempts = attempts + 1 WHERE seq IN (SELECT CAST(value AS INTEGER) FROM json_each(?))",
  );
  const pendingCountStmt = sqlite.prepare("SELECT count(*) FROM message_inbox WHERE supplier_id = ? AND status = 'pending'").pluck();
  // On the pending partial index: a run's end reads only the supplier's pending messages.
  const deferredByStmt = sqlite.prepare(
    "SELECT count(*) AS count, min(next_attempt_at) AS next FROM message_inbox WHERE supplier_id = ? AND status = 'pending' AND last_run_id = ? AND deferrals > 0",
  );
  const dueCountStmt = sqlite.prepare("SELECT count(*) FROM message_inbox WHERE supplier_id = ? AND status = 'pending' AND next_attempt_at <= ?").pluck();
  /**
   * The seqs of a supplier's pending messages of one type about the skus in a JSON array, driven
   * from the skus through the pending-by-sku index whatever the planner knows: given a sku IN list,
   * SQLite walks every pending message of the type in seq order, and PostgreSQL without statistics
   * (a fresh table filling fast) scans them all too. SQLite: CROSS JOIN fixes the join order;
   * PostgreSQL: a LATERAL subquery per sku (OFFSET 0 keeps the planner from
   * flattening it into a hash join over them all), the outer rows found by their key from an array.
   * Parameters: the skus' JSON, supplier id, type, then those of `extra` (conditions on m).
   */
  const pendingOfSkus = (extra: string) =>
    onPostgres
      ? "= ANY(ARRAY(SELECT r.seq FROM json_array_elements_text(CAST(? AS json)) AS k(wanted) CROSS JOIN LATERAL (SELECT m.seq FROM message_inbox AS m " +
        `WHERE m.supplier_id = ? AND m.sku = k.wanted AND m.type = ? AND m.status = 'pending' AND m.parse_error IS NULL ${extra} OFFSET 0) AS r))`
      : "IN (SELECT m.seq FROM json_each(?) CROSS JOIN message_inbox AS m " +
        `WHERE m.supplier_id = ? AND m.sku = json_each.value AND m.type = ? AND m.status = 'pending' AND m.parse_error IS NULL ${extra})`;
  const dueRowsScan = sqlite.prepare(
    `SELECT ${selectColumns(messageInbox)} FROM message_inbox WHERE seq ${pendingOfSkus("AND m.next_attempt_at <= ?")} ORDER BY seq`,
  );
  // Pending messages of these skus older than the newest pending one of their sku and type, settled as skipped.
  const supersedeScan = sqlite.prepare(
    "UPDATE message_inbox SET status = 'skipped', last_error = 'superseded', settled_at = ?, last_run_id = ?, attempts = attempts + 1 " +
      `WHERE seq ${pendingOfSkus("AND m.seq < (SELECT max(n.seq) FROM message_inbox AS n WHERE n.supplier_id = m.supplier_id AND n.type = m.type AND n.sku = m.sku AND n.status = 'pending' AND n.parse_error IS NULL)")} ` +
      'RETURNING seq, message_id AS "messageId", sku',
  );
  // PostgreSQL: the ids as an array, so each is found on the unique key whatever the statistics (an IN
  // list became a hash join over every message of the supplier while the table was new and unanalysed).
  const markDeletedAll = sqlite.prepare(
    `UPDATE message_inbox SET deleted_at = ? WHERE supplier_id = ? AND message_id ${onPostgres ? "= ANY(ARRAY(SELECT json_array_elements_text(CAST(? AS json))))" : "IN (SELECT value FROM json_each(?))"}`,
  );
  // PostgreSQL: a page's rows as one statement (bulk-rows.ts); SQLite: a prepared statement per row.
  const inboxKeys = [
    "supplierId",
    "messageId",
    "type",
    "sku",
    "state",
    "payloadJson",
    "messageTime",
    "status",
    "attempts",
    "nextAttemptAt",
    "receivedAt",
    "lastRunId",
  ] as const;
  const bulkInbox = bulkInsert(messageInbox, inboxKeys, 'ON CONFLICT (supplier_id, message_id) DO NOTHING RETURNING message_id AS "messageId"');
  const insertInboxAll = onPostgres ? sqlite.prepare(bulkInbox.sql).pluck() : null;

  /**
   * A page from the pool: parsed messages pending, unparseable ones straight to quarantine, in one
   * transaction that is on disk before the caller deletes the page (S-3): a power cut after the
   * delete must not lose it, which WAL with synchronous=NORMAL allows. `alongside` runs inside the
   * same transaction with the ids newly stored. Answers those ids.
   */
  function storePage(
    supplierId: number,
    page: { messages: readonly NewInboxMessage[]; unparseable: readonly NewUnparseableMessage[] },
    runId: string,
    now: number,
    alongside: (stored: ReadonlySet<string>) => void = () => undefined,
  ): ReadonlySet<string> {
    const stored = new Set<string>();
    durably(() =>
      sqlite
        .transaction(() => {
          // Run again from the start when another writer won (PostgreSQL): only this attempt's ids count.
          stored.clear();
          // A known id is kept as it is, unless it was reused (dropReusedInbox): then it is stored anew.
          const insert = (m: NewInboxMessage) =>
            insertInbox.run(supplierId, m.messageId, m.type, m.sku, m.state, m.payloadJson, m.messageTime, now, now, runId).changes === 1;
          // PostgreSQL: the page's new ids from one statement; SQLite: an insert per message.
          const insertedAtOnce =
            insertInboxAll && page.messages.length > 0
              ? new Set(
                  insertInboxAll.all(
                    bulkInbox.json(
                      page.messages.map((m) => ({ ...m, supplierId, status: "pending", attempts: 0, nextAttemptAt: now, receivedAt: now, lastRunId: runId })),
                    ),
                  ) as string[],
                )
              : null;
          for (const m of page.messages) {
            const isNew = insertedAtOnce ? insertedAtOnce.has(m.messageId) : insert(m);
            if (isNew || (dropReusedInbox.run(supplierId, m.messageId).changes === 1 && insert(m))) stored.add(m.messageId);
          }
          for (const m of page.unparseable) {
            const insert = () =>
              insertUnparseable.run(
                supplierId,
                m.messageId,
                m.type,
                m.sku,
                m.payloadJson,
                m.messageTime,
                now,
                now,
                runId,
                m.parseError,
                m.parseError,
                now,
                m.deletable ? null : now,
              ).changes === 1;
            // One without an id S-3 can delete is the same message coming back, never a reused id.
            if (insert() || (m.deletable && dropReusedInbox.run(supplierId, m.messageId).changes === 1 && insert())) stored.add(m.messageId);
          }
          alongside(stored);
        })
        .immediate(),
    );
    return stored;
  }

  return {
    /** Stores a page of messages (already-known ids are kept as they are) in one durable transaction. */
    storeMessages(supplierId: number, messages: readonly NewInboxMessage[], runId: string, now: number): void {
      storePage(supplierId, { messages, unparseable: [] }, runId, now);
    },
    storePage,
    markDeleted(supplierId: number, messageIds: readonly string[], now: number): void {
      markDeletedAll.run(now, supplierId, JSON.stringify(messageIds));
    },
    /** Stored but not yet deleted from the supplier's pool (a crash between the two). */
    undeletedIds: (supplierId: number): string[] =>
      db
        .select({ id: messageInbox.messageId })
        .from(messageInbox)
        .where(and(eq(messageInbox.supplierId, supplierId), sql`${messageInbox.deletedAt} IS NULL`))
        .all()
        .map((r) => r.id),
    duePending: (supplierId: number, type: number, now: number, limit: number): InboxRow[] =>
      db
        .select()
        .from(messageInbox)
        .where(
          and(eq(messageInbox.supplierId, supplierId), eq(messageInbox.type, type), eq(messageInbox.status, "pending"), lte(messageInbox.nextAttemptAt, now)),
        )
        .orderBy(asc(messageInbox.seq))
        .limit(limit)
        .all(),
    /**
     * Up to `limit` distinct skus among the oldest due messages of a type (oldest first), leaving
     * out `busy` ones (a group of them is being applied, and a sku is applied by one group at a time).
     */
    dueSkus(supplierId: number, type: number, now: number, limit: number, busy: ReadonlySet<string> = new Set()): string[] {
      const skus: string[] = [];
      const seen = new Set<string>();
      for (const sku of dueScan.all(supplierId, type, now, DUE_SCAN_ROWS) as string[]) {
        if (seen.has(sku) || busy.has(sku)) continue;
        seen.add(sku);
        skus.push(sku);
        if (skus.length >= limit) break;
      }
      return skus;
    },
    /** Every due message of a type about these skus, oldest first. */
    dueRowsForSkus(supplierId: number, type: number, skus: readonly string[], now: number): InboxRow[] {
      if (skus.length === 0) return [];
      return dueRowsScan.all(JSON.stringify(skus), supplierId, type, now) as InboxRow[];
    },
    pendingCount: (supplierId: number): number => pendingCountStmt.get(supplierId) as number,
    /**
     * Messages `runId` left pending after a transient failure (a deferral: not the message's fault),
     * and when the first of them comes due.
     */
    deferredBy(supplierId: number, runId: string): { count: number; nextAttemptAt: number | null } {
      const row = deferredByStmt.get(supplierId, runId) as { count: number | string; next: number | string | null };
      return { count: Number(row.count), nextAttemptAt: row.next === null ? null : Number(row.next) };
    },
    /** Pending messages whose next attempt is due by `now`: what a run starting now will apply. */
    dueCount: (supplierId: number, now: number): number => dueCountStmt.get(supplierId, now) as number,
    /**
     * Settles, as skipped, each pending message of `type` about these skus that a newer pending one
     * of its sku makes redundant; in the caller's transaction. Answers what it settled.
     */
    supersedePending(
      supplierId: number,
      type: number,
      skus: readonly string[],
      runId: string,
      now: number,
    ): Array<{ seq: number; messageId: string; sku: string }> {
      if (skus.length === 0) return [];
      return supersedeScan.all(now, runId, JSON.stringify(skus), supplierId, type) as Array<{ seq: number; messageId: string; sku: string }>;
    },
    /** Settles messages in the caller's transaction (hot path: one statement for all of them). */
    settle(seqs: readonly number[], status: Exclude<InboxStatus, "pending">, error: string | null, runId: string, now: number): void {
      if (seqs.length > 0) settleAll.run(status, error, now, runId, JSON.stringify(seqs));
    },
    /** A transport failure: not the message's fault, so it backs off without using up an attempt. */
    recordDeferral(row: Pick<InboxRow, "seq" | "deferrals">, error: string, nextAttemptAt: number, runId: string): void {
      db.update(messageInbox)
        .set({ deferrals: row.deferrals + 1, lastError: error, nextAttemptAt, lastRunId: runId })
        .where(eq(messageInbox.seq, row.seq))
        .run();
    },
    /** A deterministic failure: back off, or quarantine once attempts reach the limit. Returns the new status. */
    recordFailure(row: Pick<InboxRow, "seq" | "attempts">, error: string, nextAttemptAt: number, maxAttempts: number, runId: string, now: number): InboxStatus {
      const attempts = row.attempts + 1;
      const status: InboxStatus = attempts >= maxAttempts ? "quarantined" : "pending";
      db.update(messageInbox)
        .set({ attempts, deferrals: 0, status, lastError: error, nextAttemptAt, lastRunId: runId, settledAt: status === "quarantined" ? now : null })
        .where(eq(messageInbox.seq, row.seq))
        .run();
      return status;
    },
    quarantined: (supplierId: number): InboxRow[] =>
      db
        .select()
        .from(messageInbox)
        .where(and(eq(messageInbox.supplierId, supplierId), eq(messageInbox.status, "quarantined")))
        .orderBy(asc(messageInbox.seq))
        .all(),
    /** Staff replay: quarantined messages go back to pending, due now, with a fresh attempt budget. */
    requeue(supplierId: number, messageIds: readonly string[] | "all-quarantined", now: number): number {
      const base = and(eq(messageInbox.supplierId, supplierId), eq(messageInbox.status, "quarantined"));
      const where = messageIds === "all-quarantined" ? base : and(base, inArray(messageInbox.messageId, [...messageIds]));
      return db.update(messageInbox).set({ status: "pending", attempts: 0, deferrals: 0, nextAttemptAt: now, settledAt: null }).where(where).run().changes;
    },
    /** Replayed messages that were stored raw: to be parsed again before anything applies them. */
    pendingUnparsed: (supplierId: number): InboxRow[] =>
      db
        .select()
        .from(messageInbox)
        .where(and(eq(messageInbox.supplierId, supplierId), eq(messageInbox.status, "pending"), sql`${messageInbox.parseError} IS NOT NULL`))
        .orderBy(asc(messageInbox.seq))
        .all(),
    /** A raw message that parses now: it becomes an ordinary pending message. */
    markParsed(seq: number, m: Pick<InboxRow, "type" | "sku" | "state" | "payloadJson" | "messageTime">): void {
      db.update(messageInbox)
        .set({ ...m, parseError: null, lastError: null })
        .where(eq(messageInbox.seq, seq))
        .run();
    },
    /** A raw message that still breaks the contract goes back to quarantine with its reason. */
    requarantine(seq: number, reason: string, runId: string, now: number): void {
      db.update(messageInbox)
        .set({ status: "quarantined", parseError: reason, lastError: reason, settledAt: now, lastRunId: runId })
        .where(eq(messageInbox.seq, seq))
        .run();
    },
    /** Per sku, the newest message of this type already settled: its pool position (seq) and id. */
    lastSettledSeqs(supplierId: number, type: number, skus: readonly string[]): Map<string, { seq: number; messageId: string }> {
      if (skus.length === 0) return new Map();
      const rows = lastSettledScan.all(JSON.stringify(skus), supplierId, type) as Array<{ sku: string; seq: number; messageId: string }>;
      return new Map(rows.map((r) => [r.sku, { seq: r.seq, messageId: r.messageId }]));
    },
    inboxEntry: (supplierId: number, messageId: string): InboxRow | undefined =>
      db
        .select()
        .from(messageInbox)
        .where(and(eq(messageInbox.supplierId, supplierId), eq(messageInbox.messageId, messageId)))
        .get(),
  };
}
