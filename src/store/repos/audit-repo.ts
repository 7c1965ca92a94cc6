import { statementFor } from "../sql/placeholders.js";
import { selectColumns } from "./row-sql.js";
import type { SqlRunner, SqlStore, Transaction } from "../sql/sql-store.js";
import { auditLog } from "../schema/index.js";

export type AuditRow = typeof auditLog.$inferSelect;
export type NewAuditEntry = Omit<AuditRow, "id" | "prevHash" | "hash">;

/** The hash of the chain before its first row. */
export const AUDIT_GENESIS_HASH = "0".repeat(64);

/**
 * On PostgreSQL the identity sequence moves outside transactions (a rolled-back or retried append
 * would still advance it), so the highest id issued is kept in store_meta, written with the row.
 */
const HIGHEST_ID_KEY = "audit_log.highest_id";

/** Rows read per step while walking the chain, so verify runs in bounded memory. */
const WALK_PAGE_ROWS = 1_000;

export type AuditFilter = { actor?: string; action?: string; target?: string; before?: number; limit: number };
type Seal = (prevHash: string, row: Omit<AuditRow, "prevHash" | "hash">) => string;

export type AuditRepo = ReturnType<typeof createAuditRepo>;

export function createAuditRepo(sql: SqlStore) {
  const onPostgres = sql.dialect === "postgres";
  const statement = statementFor(sql.dialect);
  const columns = selectColumns(auditLog);
  const S = {
    last: "SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1",
    head: "SELECT id, hash, at FROM audit_log ORDER BY id DESC LIMIT 1",
    // SQLite's AUTOINCREMENT keeps sqlite_sequence itself; on PostgreSQL the append writes the mark,
    // before its row, so a concurrent append waits on it and is retried instead of forking the chain.
    issued: onPostgres
      ? `SELECT CAST(value AS BIGINT) AS seq FROM store_meta WHERE key = '${HIGHEST_ID_KEY}'`
      : "SELECT seq FROM sqlite_sequence WHERE name = 'audit_log'",
    markIssued: statement(
      (p) => `INSERT INTO store_meta (key, value) VALUES ('${HIGHEST_ID_KEY}', ${p()}) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
    ),
    insert: statement(
      (p) =>
        "INSERT INTO audit_log (id, at, actor, role, action, target, outcome, summary_json, request_id, prev_hash, hash, key_id) " +
        `VALUES (${Array.from({ length: 12 }, p).join(", ")}) RETURNING ${columns}`,
    ),
    reseal: statement((p) => `UPDATE audit_log SET prev_hash = ${p()}, hash = ${p()}, key_id = ${p()} WHERE id = ${p()}`),
    walkPage: statement((p) => `SELECT ${columns} FROM audit_log WHERE id > ${p()} ORDER BY id LIMIT ${p()}`),
    // The distinct actions starting with a prefix, one index seek each (a skip scan of audit_log_action_idx).
    // Written with the prefix as $1 and its length as $2; SQLite's `?` binds by position, so there
    // the values repeat (actionsArgs).
    actionsFrom: ((prefix: string, length: string) =>
      "WITH RECURSIVE a(action) AS (" +
      `SELECT (SELECT action FROM audit_log WHERE action >= ${prefix} ORDER BY action LIMIT 1) ` +
      `UNION ALL SELECT (SELECT action FROM audit_log WHERE action > a.action ORDER BY action LIMIT 1) FROM a WHERE a.action IS NOT NULL AND substr(a.action, 1, ${length}) = ${prefix}` +
      `) SELECT action FROM a WHERE action IS NOT NULL AND substr(action, 1, ${length}) = ${prefix}`)(onPostgres ? "$1" : "?", onPostgres ? "$2::int" : "?"),
  };

  const actionsArgs = (prefix: string): unknown[] => (onPostgres ? [prefix, prefix.length] : [prefix, prefix.length, prefix, prefix.length, prefix]);
  const highestIdIssued = async (db: SqlRunner = sql): Promise<number> => Number((await db.get<{ seq: number }>(S.issued))?.seq ?? 0);

  /** A page of rows newest first: the filter's equalities, `before`, and `more` ANDed (each with its value). */
  const newest = (filter: AuditFilter, more: ReadonlyArray<{ clause: (p: () => string) => string; value: unknown }>): Promise<AuditRow[]> => {
    const parts: Array<{ clause: (p: () => string) => string; value: unknown }> = [];
    if (filter.actor !== undefined) parts.push({ clause: (p) => `actor = ${p()}`, value: filter.actor });
    if (filter.target !== undefined) parts.push({ clause: (p) => `target = ${p()}`, value: filter.target });
    if (filter.before !== undefined) parts.push({ clause: (p) => `id < ${p()}`, value: filter.before });
    parts.push(...more);
    const text = statement((p) => {
      const where = parts.map((part) => part.clause(p));
      return `SELECT ${columns} FROM audit_log${where.length > 0 ? ` WHERE ${where.join(" AND ")}` : ""} ORDER BY id DESC LIMIT ${p()}`;
    });
    return sql.all<AuditRow>(text, [...parts.map((part) => part.value), filter.limit]);
  };

  const appendIn = async (tx: Transaction, entry: NewAuditEntry, seal: Seal): Promise<AuditRow> => {
    const last = await tx.get<{ id: number; hash: string }>(S.last);
    const issued = await highestIdIssued(tx);
    const prevHash = last?.hash ?? AUDIT_GENESIS_HASH;
    const id = Math.max(Number(last?.id ?? 0), issued) + 1;
    const hash = seal(prevHash, { ...entry, id });
    if (onPostgres) await tx.run(S.markIssued, [String(id)]);
    const row = await tx.get<AuditRow>(S.insert, [
      id,
      entry.at,
      entry.actor,
      entry.role,
      entry.action,
      entry.target,
      entry.outcome,
      entry.summaryJson,
      entry.requestId,
      prevHash,
      hash,
      entry.keyId,
    ]);
    if (!row) throw new Error("the audit row was not written");
    return row;
  };

  return {
    /**
     * Appends one row inside the caller's transaction, so a change and its audit row land together
     * or not at all. The transaction holds SQLite's writer (and on PostgreSQL is serialisable, the
     * mark above written before the row), so two appends never chain onto the same previous hash.
     */
    appendIn,

    /** Appends one row in a transaction of its own. `seal` computes the row's hash from its content. */
    append: (entry: NewAuditEntry, seal: Seal): Promise<AuditRow> => sql.transaction((tx) => appendIn(tx, entry, seal)),

    /** The last row, or undefined for an empty log: what `audit.head` anchors elsewhere. */
    head: (): Promise<Pick<AuditRow, "id" | "hash" | "at"> | undefined> => sql.get<Pick<AuditRow, "id" | "hash" | "at">>(S.head),

    /** Rewrites the seal of rows, all or none (the one-time keying of an older log). */
    reseal: (rows: ReadonlyArray<Pick<AuditRow, "id" | "prevHash" | "hash" | "keyId">>): Promise<void> =>
      sql.transaction(async (tx) => {
        for (const r of rows) await tx.run(S.reseal, [r.prevHash, r.hash, r.keyId, r.id]);
      }),

    /** The highest id the log ever gave out (SQLite's AUTOINCREMENT, store_meta on PostgreSQL): reveals rows deleted from the end. */
    highestIdIssued: (): Promise<number> => highestIdIssued(),

    /**
     * Newest first. An action prefix alone reads each action it covers on the (action, id) index
     * and merges them, so a rare prefix never walks the whole log; with an actor or a target, that
     * index leads and the prefix filters.
     */
    async list(filter: AuditFilter): Promise<AuditRow[]> {
      if (filter.action === undefined) return newest(filter, []);
      const prefix = filter.action;
      if (filter.actor !== undefined || filter.target !== undefined) {
        return newest(filter, [{ clause: (p) => `substr(action, 1, ${prefix.length}) = ${p()}`, value: prefix }]);
      }
      const actions = (await sql.all<{ action: string }>(S.actionsFrom, actionsArgs(prefix))).map((r) => r.action);
      const pages = await Promise.all(actions.map((action) => newest(filter, [{ clause: (p) => `action = ${p()}`, value: action }])));
      return pages
        .flat()
        .sort((a, b) => b.id - a.id)
        .slice(0, filter.limit);
    },

    /** Every row in id order, a page at a time. */
    async *walk(): AsyncGenerator<AuditRow> {
      let after = 0;
      for (;;) {
        const page = await sql.all<AuditRow>(S.walkPage, [after, WALK_PAGE_ROWS]);
        yield* page;
        const last = page.at(-1);
        if (!last || page.length < WALK_PAGE_ROWS) return;
        after = last.id;
      }
    },
  };
}
