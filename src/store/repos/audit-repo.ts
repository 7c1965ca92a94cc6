import { type SQL, and, asc, desc, eq, gt, lt, sql } from "drizzle-orm";
import type { Store } from "../database.js";
import { withTransaction } from "../database.js";
import { statementFor } from "../sql/placeholders.js";
import { selectColumns } from "./row-sql.js";
import type { Transaction } from "../sql/sql-store.js";
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

export type AuditRepo = ReturnType<typeof createAuditRepo>;

export function createAuditRepo(store: Store) {
  const { db } = store;
  const onPostgres = store.dialect === "postgres";
  const issuedStmt = onPostgres
    ? store.connection.prepare(`SELECT CAST(value AS BIGINT) AS seq FROM store_meta WHERE key = '${HIGHEST_ID_KEY}'`)
    : store.connection.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'audit_log'");
  // SQLite's AUTOINCREMENT keeps sqlite_sequence itself; on PostgreSQL the append writes the mark,
  // before its row, so a concurrent append waits on it and is retried instead of forking the chain.
  const markIssued = onPostgres
    ? store.connection.prepare(`INSERT INTO store_meta (key, value) VALUES ('${HIGHEST_ID_KEY}', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`)
    : undefined;
  const highestIdIssued = (): number => {
    const row = issuedStmt.get() as { seq: number } | undefined;
    return row?.seq ?? 0;
  };
  // The distinct actions starting with a prefix, one index seek each (a skip scan of audit_log_action_idx).
  const actionsFrom = store.connection.prepare<[{ prefix: string; length: number }], { action: string }>(
    "WITH RECURSIVE a(action) AS (" +
      "SELECT (SELECT action FROM audit_log WHERE action >= @prefix ORDER BY action LIMIT 1) " +
      "UNION ALL SELECT (SELECT action FROM audit_log WHERE action > a.action ORDER BY action LIMIT 1) FROM a WHERE a.action IS NOT NULL AND substr(a.action, 1, @length) = @prefix" +
      ") SELECT action FROM a WHERE action IS NOT NULL AND substr(action, 1, @length) = @prefix",
  );
  // The same append as statements for the asynchronous store, written for its database.
  const statement = statementFor(store.dialect);
  const A = {
    last: "SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1",
    issued: onPostgres
      ? `SELECT CAST(value AS BIGINT) AS seq FROM store_meta WHERE key = '${HIGHEST_ID_KEY}'`
      : "SELECT seq FROM sqlite_sequence WHERE name = 'audit_log'",
    markIssued: statement(
      (p) => `INSERT INTO store_meta (key, value) VALUES ('${HIGHEST_ID_KEY}', ${p()}) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
    ),
    insert: statement(
      (p) =>
        "INSERT INTO audit_log (id, at, actor, role, action, target, outcome, summary_json, request_id, prev_hash, hash, key_id) " +
        `VALUES (${Array.from({ length: 12 }, p).join(", ")}) RETURNING ${selectColumns(auditLog)}`,
    ),
  };
  return {
    /**
     * Appends one row inside the caller's transaction on the asynchronous store, so a change and its
     * audit row land together or not at all. The transaction holds SQLite's writer (and on
     * PostgreSQL is serialisable, the mark below written before the row), so two appends never
     * chain onto the same previous hash.
     */
    async appendIn(tx: Transaction, entry: NewAuditEntry, seal: (prevHash: string, row: Omit<AuditRow, "prevHash" | "hash">) => string): Promise<AuditRow> {
      const last = await tx.get<{ id: number; hash: string }>(A.last);
      const issued = Number((await tx.get<{ seq: number }>(A.issued))?.seq ?? 0);
      const prevHash = last?.hash ?? AUDIT_GENESIS_HASH;
      const id = Math.max(Number(last?.id ?? 0), issued) + 1;
      const hash = seal(prevHash, { ...entry, id });
      if (onPostgres) await tx.run(A.markIssued, [String(id)]);
      const row = await tx.get<AuditRow>(A.insert, [
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
    },

    /**
     * Appends one row under an IMMEDIATE transaction, so the server and the CLI never chain two
     * rows onto the same previous hash. `seal` computes the row's hash from its content.
     */
    append(entry: NewAuditEntry, seal: (prevHash: string, row: Omit<AuditRow, "prevHash" | "hash">) => string): AuditRow {
      return withTransaction(store, () => {
        const last = db.select({ id: auditLog.id, hash: auditLog.hash }).from(auditLog).orderBy(desc(auditLog.id)).limit(1).get();
        const prevHash = last?.hash ?? AUDIT_GENESIS_HASH;
        const id = Math.max(last?.id ?? 0, highestIdIssued()) + 1;
        const hash = seal(prevHash, { ...entry, id });
        markIssued?.run(String(id));
        return db
          .insert(auditLog)
          .values({ ...entry, id, prevHash, hash })
          .returning()
          .get();
      });
    },

    /** The last row, or undefined for an empty log: what `audit.head` anchors elsewhere. */
    head: (): Pick<AuditRow, "id" | "hash" | "at"> | undefined =>
      db.select({ id: auditLog.id, hash: auditLog.hash, at: auditLog.at }).from(auditLog).orderBy(desc(auditLog.id)).limit(1).get(),

    /** Rewrites the seal of rows, all or none (the one-time keying of an older log). */
    reseal(rows: ReadonlyArray<Pick<AuditRow, "id" | "prevHash" | "hash" | "keyId">>): void {
      withTransaction(store, () => {
        for (const r of rows) db.update(auditLog).set({ prevHash: r.prevHash, hash: r.hash, keyId: r.keyId }).where(eq(auditLog.id, r.id)).run();
      });
    },

    /** The highest id the log ever gave out (SQLite's AUTOINCREMENT, store_meta on PostgreSQL): reveals rows deleted from the end. */
    highestIdIssued,

    /**
     * Newest first. An action prefix alone reads each action it covers on the (action, id) index
     * and merges them, so a rare prefix never walks the whole log; with an actor or a target, that
     * index leads and the prefix filters.
     */
    list(filter: { actor?: string; action?: string; target?: string; before?: number; limit: number }): AuditRow[] {
      const c = [
        filter.actor === undefined ? undefined : eq(auditLog.actor, filter.actor),
        filter.target === undefined ? undefined : eq(auditLog.target, filter.target),
        filter.before === undefined ? undefined : lt(auditLog.id, filter.before),
      ].filter((x) => x !== undefined);
      const newest = (...more: SQL[]) =>
        db
          .select()
          .from(auditLog)
          .where(and(...c, ...more))
          .orderBy(desc(auditLog.id))
          .limit(filter.limit)
          .all();
      if (filter.action === undefined) return newest();
      const prefix = filter.action;
      if (filter.actor !== undefined || filter.target !== undefined) return newest(sql`substr(${auditLog.action}, 1, ${prefix.length}) = ${prefix}`);
      const actions = actionsFrom.all({ prefix, length: prefix.length }).map((r) => r.action);
      return actions
        .flatMap((action) => newest(eq(auditLog.action, action)))
        .sort((a, b) => b.id - a.id)
        .slice(0, filter.limit);
    },

    /** Every row in id order, a page at a time. */
    *walk(): Generator<AuditRow> {
      let after = 0;
      for (;;) {
        const page = db.select().from(auditLog).where(gt(auditLog.id, after)).orderBy(asc(auditLog.id)).limit(WALK_PAGE_ROWS).all();
        yield* page;
        const last = page.at(-1);
        if (!last || page.length < WALK_PAGE_ROWS) return;
        after = last.id;
      }
    },
  };
}
