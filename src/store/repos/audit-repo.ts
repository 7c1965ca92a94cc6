import { and, asc, desc, eq, gt, lt, sql } from "drizzle-orm";
import type { Store } from "../database.js";
import { withTransaction } from "../database.js";
import { auditLog } from "../schema/index.js";

export type AuditRow = typeof auditLog.$inferSelect;
export type NewAuditEntry = Omit<AuditRow, "id" | "prevHash" | "hash">;

/** The hash of the chain before its first row. */
export const AUDIT_GENESIS_HASH = "0".repeat(64);

/** Rows read per step while walking the chain, so verify runs in bounded memory. */
const WALK_PAGE_ROWS = 1_000;

export type AuditRepo = ReturnType<typeof createAuditRepo>;

export function createAuditRepo(store: Store) {
  const { db } = store;
  const highestIdIssued = (): number => {
    const row = store.sqlite.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'audit_log'").get() as { seq: number } | undefined;
    return row?.seq ?? 0;
  };
  return {
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
        return db.insert(auditLog).values({ ...entry, id, prevHash, hash }).returning().get();
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

    /** The highest id SQLite ever gave out (AUTOINCREMENT): reveals rows deleted from the end. */
    highestIdIssued,

    list(filter: { actor?: string; action?: string; target?: string; before?: number; limit: number }): AuditRow[] {
      const c = [
        filter.actor === undefined ? undefined : eq(auditLog.actor, filter.actor),
        filter.action === undefined ? undefined : sql`${auditLog.action} LIKE ${`${filter.action.replace(/[\\%_]/g, (ch) => `\\${ch}`)}%`} ESCAPE '\\'`,
        filter.target === undefined ? undefined : eq(auditLog.target, filter.target),
        filter.before === undefined ? undefined : lt(auditLog.id, filter.before),
      ].filter((x) => x !== undefined);
      return db.select().from(auditLog).where(and(...c)).orderBy(desc(auditLog.id)).limit(filter.limit).all();
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
