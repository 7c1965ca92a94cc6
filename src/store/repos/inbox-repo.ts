import { messageInbox } from "../schema/index.js";
import { statementFor } from "../sql/placeholders.js";
import type { SqlRunner, SqlStore } from "../sql/sql-store.js";
import { bulkInsert } from "./bulk-rows.js";
import { selectColumns } from "./row-sql.js";

export type InboxRow = typeof messageInbox.$inferSelect;
export type NewInboxMessage = Pick<InboxRow, "messageId" | "type" | "sku" | "state" | "payloadJson" | "messageTime">;
/** A message that breaks the contract, kept raw in quarantine; `deletable` when S-3 can take its id. */
export type NewUnparseableMessage = Pick<InboxRow, "messageId" | "type" | "sku" | "payloadJson" | "messageTime"> & { parseError: string; deletable: boolean };
export type InboxStatus = InboxRow["status"];
export type SupersededMessage = { seq: number; messageId: string; sku: string };

/** How many of the oldest due messages one look at the inbox reads to find distinct skus. */
const DUE_SCAN_ROWS = 5_000;
const ROW = selectColumns(messageInbox);

/**
 * A page's messages, the skus of a group, the seqs of a chunk: on PostgreSQL a typed array, on SQLite
 * a JSON array read with json_each. PostgreSQL compares against `ARRAY(SELECT unnest($n))`, not the
 * array itself: given a constant array, a planner without statistics (a fresh table filling fast)
 * guesses a few rows for the supplier and scans them all (measured 5.7 ms for 100 ids in 20,000
 * rows); given a sub-select it finds each element on its unique key whatever the statistics.
 */
const SQLITE = {
  insert:
    "INSERT INTO message_inbox (supplier_id, message_id, type, sku, state, payload_json, message_time, status, attempts, next_attempt_at, received_at, last_run_id) " +
    "VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?, ?) ON CONFLICT (supplier_id, message_id) DO NOTHING",
  // The row holding each sku's max(seq), found by its key.
  lastSettled:
    'SELECT sku, seq, message_id AS "messageId" FROM message_inbox WHERE seq IN (SELECT max(seq) FROM message_inbox ' +
    "WHERE sku IN (SELECT value FROM json_each(?)) AND supplier_id = ? AND type = ? AND status IN ('applied','rejected','skipped') GROUP BY sku)",
  /**
   * The seqs of a supplier's pending messages of one type about the skus in a JSON array, driven
   * from the skus through the pending-by-sku index: given a sku IN list, SQLite walks every pending
   * message of the type in seq order. CROSS JOIN fixes the join order.
   * Parameters: the skus, supplier id, type, then those of `extra` (conditions on m).
   */
  pendingOfSkus: (extra: string) =>
    "IN (SELECT m.seq FROM json_each(?) CROSS JOIN message_inbox AS m " +
    `WHERE m.supplier_id = ? AND m.sku = json_each.value AND m.type = ? AND m.status = 'pending' AND m.parse_error IS NULL ${extra})`,
  settle:
    "UPDATE message_inbox SET status = ?, last_error = ?, settled_at = ?, last_run_id = ?, attempts = attempts + 1 WHERE seq IN (SELECT value FROM json_each(?))",
  markDeleted: "UPDATE message_inbox SET deleted_at = ? WHERE supplier_id = ? AND message_id IN (SELECT value FROM json_each(?))",
  requeueSome:
    "UPDATE message_inbox SET status = 'pending', attempts = 0, deferrals = 0, next_attempt_at = ?, settled_at = NULL " +
    "WHERE supplier_id = ? AND status = 'quarantined' AND message_id IN (SELECT value FROM json_each(?))",
};

const POSTGRES = {
  // PostgreSQL: the newest per sku, a LATERAL subquery each (as pendingOfSkus, whatever the statistics);
  // max(seq + 0), because max(seq) becomes ORDER BY seq DESC LIMIT 1, which walks the whole table
  // backwards on the primary key for a sku whose rows are old; type + 0 and status || '' leave the
  // (supplier, sku) index as the only one that narrows the rows, instead of every message of the type.
  lastSettled:
    'SELECT k.wanted AS sku, x.seq, i.message_id AS "messageId" FROM unnest($1::text[]) AS k(wanted) CROSS JOIN LATERAL (' +
    "SELECT max(m.seq + 0) AS seq FROM message_inbox AS m WHERE m.supplier_id = $2 AND m.type + 0 = $3 AND m.sku = k.wanted " +
    "AND m.status || '' IN ('applied','rejected','skipped')) AS x JOIN message_inbox AS i ON i.seq = x.seq",
  /**
   * As SQLite's, for a planner without statistics (a fresh table filling fast) that would scan every
   * pending message of the type: a LATERAL subquery per sku (OFFSET 0 keeps the planner from
   * flattening it into a hash join over them all), the outer rows found by their key from an array.
   * `first` is the number of the skus' placeholder; then supplier id, type.
   */
  pendingOfSkus: (first: number, extra: string) =>
    `= ANY(ARRAY(SELECT r.seq FROM unnest($${first}::text[]) AS k(wanted) CROSS JOIN LATERAL (SELECT m.seq FROM message_inbox AS m ` +
    `WHERE m.supplier_id = $${first + 1} AND m.sku = k.wanted AND m.type = $${first + 2} AND m.status = 'pending' AND m.parse_error IS NULL ${extra} OFFSET 0) AS r))`,
  settle:
    "UPDATE message_inbox SET status = $1, last_error = $2, settled_at = $3, last_run_id = $4, attempts = attempts + 1 WHERE seq = ANY(ARRAY(SELECT unnest($5::bigint[])))",
  // The ids as an array, so each is found on the unique key whatever the statistics (an IN list
  // became a hash join over every message of the supplier while the table was new and unanalysed).
  markDeleted: "UPDATE message_inbox SET deleted_at = $1 WHERE supplier_id = $2 AND message_id = ANY(ARRAY(SELECT unnest($3::text[])))",
  requeueSome:
    "UPDATE message_inbox SET status = 'pending', attempts = 0, deferrals = 0, next_attempt_at = $1, settled_at = NULL " +
    "WHERE supplier_id = $2 AND status = 'quarantined' AND message_id = ANY(ARRAY(SELECT unnest($3::text[])))",
};

const INBOX_KEYS = [
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

/** The message inbox: what the puller took from each supplier's pool, until it is settled. */
export type InboxRepo = ReturnType<typeof createInboxRepo>;

export function createInboxRepo(sql: SqlStore) {
  const onPostgres = sql.dialect === "postgres";
  const statement = statementFor(sql.dialect);
  /** A list parameter as its database reads it (see SQLITE). */
  const list = (values: readonly unknown[]): unknown => (onPostgres ? [...values] : JSON.stringify(values));
  const S = {
    insertUnparseable: statement(
      (p) =>
        "INSERT INTO message_inbox (supplier_id, message_id, type, sku, state, payload_json, message_time, status, attempts, next_attempt_at, received_at, last_run_id, parse_error, last_error, settled_at, deleted_at) " +
        `VALUES (${p()}, ${p()}, ${p()}, ${p()}, NULL, ${p()}, ${p()}, 'quarantined', 0, ${p()}, ${p()}, ${p()}, ${p()}, ${p()}, ${p()}, ${p()}) ON CONFLICT (supplier_id, message_id) DO NOTHING`,
    ),
    // A known id the mall already settled and deleted from the pool, served again: the supplier reused
    // the id for a new message (counters reset, ids recycled). It goes to the back as a new delivery.
    dropReused: statement(
      (p) => `DELETE FROM message_inbox WHERE supplier_id = ${p()} AND message_id = ${p()} AND deleted_at IS NOT NULL AND status != 'pending'`,
    ),
    dueScan: statement(
      (p) =>
        `SELECT sku FROM message_inbox WHERE supplier_id = ${p()} AND type = ${p()} AND status = 'pending' AND next_attempt_at <= ${p()} AND parse_error IS NULL ORDER BY seq LIMIT ${p()}`,
    ),
    pendingCount: statement((p) => `SELECT count(*) AS n FROM message_inbox WHERE supplier_id = ${p()} AND status = 'pending'`),
    // On the pending partial index: a run's end reads only the supplier's pending messages.
    deferredBy: statement(
      (p) =>
        `SELECT count(*) AS count, min(next_attempt_at) AS next FROM message_inbox WHERE supplier_id = ${p()} AND status = 'pending' AND last_run_id = ${p()} AND deferrals > 0`,
    ),
    dueCount: statement((p) => `SELECT count(*) AS n FROM message_inbox WHERE supplier_id = ${p()} AND status = 'pending' AND next_attempt_at <= ${p()}`),
    undeleted: statement((p) => `SELECT message_id AS id FROM message_inbox WHERE supplier_id = ${p()} AND deleted_at IS NULL`),
    duePending: statement(
      (p) =>
        `SELECT ${ROW} FROM message_inbox WHERE supplier_id = ${p()} AND type = ${p()} AND status = 'pending' AND next_attempt_at <= ${p()} ORDER BY seq LIMIT ${p()}`,
    ),
    deferral: statement(
      (p) => `UPDATE message_inbox SET deferrals = ${p()}, last_error = ${p()}, next_attempt_at = ${p()}, last_run_id = ${p()} WHERE seq = ${p()}`,
    ),
    failure: statement(
      (p) =>
        `UPDATE message_inbox SET attempts = ${p()}, deferrals = 0, status = ${p()}, last_error = ${p()}, next_attempt_at = ${p()}, last_run_id = ${p()}, settled_at = ${p()} WHERE seq = ${p()}`,
    ),
    quarantined: statement((p) => `SELECT ${ROW} FROM message_inbox WHERE supplier_id = ${p()} AND status = 'quarantined' ORDER BY seq`),
    requeueAll: statement(
      (p) =>
        `UPDATE message_inbox SET status = 'pending', attempts = 0, deferrals = 0, next_attempt_at = ${p()}, settled_at = NULL WHERE supplier_id = ${p()} AND status = 'quarantined'`,
    ),
    pendingUnparsed: statement(
      (p) => `SELECT ${ROW} FROM message_inbox WHERE supplier_id = ${p()} AND status = 'pending' AND parse_error IS NOT NULL ORDER BY seq`,
    ),
    markParsed: statement(
      (p) =>
        `UPDATE message_inbox SET type = ${p()}, sku = ${p()}, state = ${p()}, payload_json = ${p()}, message_time = ${p()}, parse_error = NULL, last_error = NULL WHERE seq = ${p()}`,
    ),
    requarantine: statement(
      (p) =>
        `UPDATE message_inbox SET status = 'quarantined', parse_error = ${p()}, last_error = ${p()}, settled_at = ${p()}, last_run_id = ${p()} WHERE seq = ${p()}`,
    ),
    entry: statement((p) => `SELECT ${ROW} FROM message_inbox WHERE supplier_id = ${p()} AND message_id = ${p()}`),
    dueRows: onPostgres
      ? `SELECT ${ROW} FROM message_inbox WHERE seq ${POSTGRES.pendingOfSkus(1, "AND m.next_attempt_at <= $4")} ORDER BY seq`
      : `SELECT ${ROW} FROM message_inbox WHERE seq ${SQLITE.pendingOfSkus("AND m.next_attempt_at <= ?")} ORDER BY seq`,
    // Pending messages of these skus older than the newest pending one of their sku and type, settled as skipped.
    supersede: onPostgres
      ? "UPDATE message_inbox SET status = 'skipped', last_error = 'superseded', settled_at = $1, last_run_id = $2, attempts = attempts + 1 " +
        `WHERE seq ${POSTGRES.pendingOfSkus(3, NEWER_PENDING)} RETURNING seq, message_id AS "messageId", sku`
      : "UPDATE message_inbox SET status = 'skipped', last_error = 'superseded', settled_at = ?, last_run_id = ?, attempts = attempts + 1 " +
        `WHERE seq ${SQLITE.pendingOfSkus(NEWER_PENDING)} RETURNING seq, message_id AS "messageId", sku`,
    lastSettled: onPostgres ? POSTGRES.lastSettled : SQLITE.lastSettled,
    settle: onPostgres ? POSTGRES.settle : SQLITE.settle,
    markDeleted: onPostgres ? POSTGRES.markDeleted : SQLITE.markDeleted,
    requeueSome: onPostgres ? POSTGRES.requeueSome : SQLITE.requeueSome,
  };
  // PostgreSQL: a page's rows as one statement (bulk-rows.ts); SQLite: a prepared statement per row.
  const bulkInbox = bulkInsert(messageInbox, INBOX_KEYS, 'ON CONFLICT (supplier_id, message_id) DO NOTHING RETURNING message_id AS "messageId"');

  /** The page's parsed messages newly stored, by id. */
  async function insertMessages(
    tx: SqlRunner,
    supplierId: number,
    messages: readonly NewInboxMessage[],
    runId: string,
    now: number,
  ): Promise<ReadonlySet<string>> {
    if (onPostgres) {
      if (messages.length === 0) return new Set();
      const rows = messages.map((m) => ({ ...m, supplierId, status: "pending", attempts: 0, nextAttemptAt: now, receivedAt: now, lastRunId: runId }));
      return new Set((await tx.all<{ messageId: string }>(bulkInbox.sql, [bulkInbox.json(rows)])).map((r) => r.messageId));
    }
    const inserted = new Set<string>();
    for (const m of messages)
      if ((await tx.run(SQLITE.insert, [supplierId, m.messageId, m.type, m.sku, m.state, m.payloadJson, m.messageTime, now, now, runId])) === 1)
        inserted.add(m.messageId);
    return inserted;
  }
  const insertOne = async (tx: SqlRunner, supplierId: number, m: NewInboxMessage, runId: string, now: number): Promise<boolean> =>
    (await insertMessages(tx, supplierId, [m], runId, now)).has(m.messageId);

  /**
   * A page from the pool: parsed messages pending, unparseable ones straight to quarantine, in one
   * transaction that is on disk before the caller deletes the page (S-3): a power cut after the
   * delete must not lose it, which SQLite's WAL with synchronous=NORMAL allows (the transaction is
   * durable). `alongside` runs inside the same transaction with the ids newly stored. Answers those ids.
   * `deletedBefore`: the previous page's ids, which S-3 has deleted since it was stored; marked first,
   * so an id of theirs that this page reuses is known as deleted and stored anew.
   */
  function storePage(
    supplierId: number,
    page: { messages: readonly NewInboxMessage[]; unparseable: readonly NewUnparseableMessage[]; deletedBefore?: readonly string[] },
    runId: string,
    now: number,
    alongside: (tx: SqlRunner, stored: ReadonlySet<string>) => Promise<void> = async () => undefined,
  ): Promise<ReadonlySet<string>> {
    return sql.transaction(
      async (tx) => {
        // Run again from the start when another writer won (PostgreSQL): only this attempt's ids count.
        const stored = new Set<string>();
        if (page.deletedBefore && page.deletedBefore.length > 0) await tx.run(S.markDeleted, [now, supplierId, list(page.deletedBefore)]);
        const inserted = await insertMessages(tx, supplierId, page.messages, runId, now);
        for (const m of page.messages) {
          // A known id is kept as it is, unless it was reused (dropReused): then it is stored anew.
          if (inserted.has(m.messageId) || ((await tx.run(S.dropReused, [supplierId, m.messageId])) === 1 && (await insertOne(tx, supplierId, m, runId, now))))
            stored.add(m.messageId);
        }
        for (const m of page.unparseable) {
          const insert = async () =>
            (await tx.run(S.insertUnparseable, [
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
            ])) === 1;
          // One without an id S-3 can delete is the same message coming back, never a reused id.
          if ((await insert()) || (m.deletable && (await tx.run(S.dropReused, [supplierId, m.messageId])) === 1 && (await insert()))) stored.add(m.messageId);
        }
        await alongside(tx, stored);
        return stored;
      },
      { durable: true },
    );
  }

  return {
    /** Stores a page of messages (already-known ids are kept as they are) in one durable transaction. */
    async storeMessages(supplierId: number, messages: readonly NewInboxMessage[], runId: string, now: number): Promise<void> {
      await storePage(supplierId, { messages, unparseable: [] }, runId, now);
    },
    storePage,
    async markDeleted(supplierId: number, messageIds: readonly string[], now: number): Promise<void> {
      if (messageIds.length > 0) await sql.run(S.markDeleted, [now, supplierId, list(messageIds)]);
    },
    /** Stored but not yet deleted from the supplier's pool (a crash between the two). */
    undeletedIds: async (supplierId: number): Promise<string[]> => (await sql.all<{ id: string }>(S.undeleted, [supplierId])).map((r) => r.id),
    duePending: (supplierId: number, type: number, now: number, limit: number): Promise<InboxRow[]> =>
      sql.all<InboxRow>(S.duePending, [supplierId, type, now, limit]),
    /**
     * Up to `limit` distinct skus among the oldest due messages of a type (oldest first), leaving
     * out `busy` ones (a group of them is being applied, and a sku is applied by one group at a time).
     */
    async dueSkus(supplierId: number, type: number, now: number, limit: number, busy: ReadonlySet<string> = new Set()): Promise<string[]> {
      const skus: string[] = [];
      const seen = new Set<string>();
      for (const { sku } of await sql.all<{ sku: string }>(S.dueScan, [supplierId, type, now, DUE_SCAN_ROWS])) {
        if (seen.has(sku) || busy.has(sku)) continue;
        seen.add(sku);
        skus.push(sku);
        if (skus.length >= limit) break;
      }
      return skus;
    },
    /** Every due message of a type about these skus, oldest first. */
    async dueRowsForSkus(supplierId: number, type: number, skus: readonly string[], now: number): Promise<InboxRow[]> {
      if (skus.length === 0) return [];
      return sql.all<InboxRow>(S.dueRows, [list(skus), supplierId, type, now]);
    },
    pendingCount: async (supplierId: number): Promise<number> => Number((await sql.get<{ n: number }>(S.pendingCount, [supplierId]))?.n ?? 0),
    /**
     * Messages `runId` left pending after a transient failure (a deferral: not the message's fault),
     * and when the first of them comes due.
     */
    async deferredBy(supplierId: number, runId: string): Promise<{ count: number; nextAttemptAt: number | null }> {
      const row = await sql.get<{ count: number; next: number | null }>(S.deferredBy, [supplierId, runId]);
      return { count: Number(row?.count ?? 0), nextAttemptAt: row?.next == null ? null : Number(row.next) };
    },
    /** Pending messages whose next attempt is due by `now`: what a run starting now will apply. */
    dueCount: async (supplierId: number, now: number): Promise<number> => Number((await sql.get<{ n: number }>(S.dueCount, [supplierId, now]))?.n ?? 0),
    /**
     * Settles, as skipped, each pending message of `type` about these skus that a newer pending one
     * of its sku makes redundant; in the caller's transaction. Answers what it settled.
     */
    async supersedePending(tx: SqlRunner, supplierId: number, type: number, skus: readonly string[], runId: string, now: number): Promise<SupersededMessage[]> {
      if (skus.length === 0) return [];
      return tx.all<SupersededMessage>(S.supersede, [now, runId, list(skus), supplierId, type]);
    },
    /** Settles messages in the caller's transaction (hot path: one statement for all of them). */
    async settle(
      tx: SqlRunner,
      seqs: readonly number[],
      status: Exclude<InboxStatus, "pending">,
      error: string | null,
      runId: string,
      now: number,
    ): Promise<void> {
      if (seqs.length > 0) await tx.run(S.settle, [status, error, now, runId, list(seqs)]);
    },
    /** A transport failure: not the message's fault, so it backs off without using up an attempt. */
    async recordDeferral(tx: SqlRunner, row: Pick<InboxRow, "seq" | "deferrals">, error: string, nextAttemptAt: number, runId: string): Promise<void> {
      await tx.run(S.deferral, [row.deferrals + 1, error, nextAttemptAt, runId, row.seq]);
    },
    /** A deterministic failure: back off, or quarantine once attempts reach the limit. Returns the new status. */
    async recordFailure(
      tx: SqlRunner,
      row: Pick<InboxRow, "seq" | "attempts">,
      error: string,
      nextAttemptAt: number,
      maxAttempts: number,
      runId: string,
      now: number,
    ): Promise<InboxStatus> {
      const attempts = row.attempts + 1;
      const status: InboxStatus = attempts >= maxAttempts ? "quarantined" : "pending";
      await tx.run(S.failure, [attempts, status, error, nextAttemptAt, runId, status === "quarantined" ? now : null, row.seq]);
      return status;
    },
    quarantined: (supplierId: number): Promise<InboxRow[]> => sql.all<InboxRow>(S.quarantined, [supplierId]),
    /** Staff replay: quarantined messages go back to pending, due now, with a fresh attempt budget. */
    requeue(supplierId: number, messageIds: readonly string[] | "all-quarantined", now: number): Promise<number> {
      if (messageIds === "all-quarantined") return sql.run(S.requeueAll, [now, supplierId]);
      if (messageIds.length === 0) return Promise.resolve(0);
      return sql.run(S.requeueSome, [now, supplierId, list(messageIds)]);
    },
    /** Replayed messages that were stored raw: to be parsed again before anything applies them. */
    pendingUnparsed: (supplierId: number): Promise<InboxRow[]> => sql.all<InboxRow>(S.pendingUnparsed, [supplierId]),
    /** A raw message that parses now: it becomes an ordinary pending message. */
    async markParsed(seq: number, m: Pick<InboxRow, "type" | "sku" | "state" | "payloadJson" | "messageTime">): Promise<void> {
      await sql.run(S.markParsed, [m.type, m.sku, m.state, m.payloadJson, m.messageTime, seq]);
    },
    /** A raw message that still breaks the contract goes back to quarantine with its reason, in the caller's transaction. */
    async requarantine(tx: SqlRunner, seq: number, reason: string, runId: string, now: number): Promise<void> {
      await tx.run(S.requarantine, [reason, reason, now, runId, seq]);
    },
    /** Per sku, the newest message of this type already settled: its pool position (seq) and id. */
    async lastSettledSeqs(supplierId: number, type: number, skus: readonly string[]): Promise<Map<string, { seq: number; messageId: string }>> {
      if (skus.length === 0) return new Map();
      const rows = await sql.all<{ sku: string; seq: number; messageId: string }>(S.lastSettled, [list(skus), supplierId, type]);
      return new Map(rows.map((r) => [r.sku, { seq: r.seq, messageId: r.messageId }]));
    },
    inboxEntry: (supplierId: number, messageId: string): Promise<InboxRow | undefined> => sql.get<InboxRow>(S.entry, [supplierId, messageId]),
  };
}

/** The condition on m of a superseded message: a newer pending one of its sku and type exists. */
const NEWER_PENDING =
  "AND m.seq < (SELECT max(n.seq) FROM message_inbox AS n WHERE n.supplier_id = m.supplier_id AND n.type = m.type AND n.sku = m.sku AND n.status = 'pending' AND n.parse_error IS NULL)";
