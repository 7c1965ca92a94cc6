import { syncLeases } from "../schema/index.js";
import { statementFor } from "../sql/placeholders.js";
import type { SqlRunner, SqlStore } from "../sql/sql-store.js";
import { selectColumns } from "./row-sql.js";

export type SyncLeaseRow = typeof syncLeases.$inferSelect;

/** Each supplier's sync lease: one runner per supplier at a time, across processes. */
export type SyncLeaseRepo = ReturnType<typeof createSyncLeaseRepo>;

export function createSyncLeaseRepo(sql: SqlStore) {
  const statement = statementFor(sql.dialect);
  const S = {
    take: statement(
      (p) =>
        `INSERT INTO sync_leases (supplier_id, holder, run_id, acquired_at, expires_at) VALUES (${p()}, ${p()}, ${p()}, ${p()}, ${p()}) ` +
        "ON CONFLICT (supplier_id) DO UPDATE SET holder = excluded.holder, run_id = excluded.run_id, acquired_at = excluded.acquired_at, expires_at = excluded.expires_at " +
        `WHERE sync_leases.expires_at <= ${p()} OR sync_leases.holder = ${p()}`,
    ),
    renew: statement((p) => `UPDATE sync_leases SET expires_at = ${p()} WHERE supplier_id = ${p()} AND holder = ${p()}`),
    release: statement((p) => `DELETE FROM sync_leases WHERE supplier_id = ${p()} AND holder = ${p()}`),
    // PostgreSQL: FOR SHARE, so a takeover (an UPDATE of the row) waits for the commit to end.
    holds: statement(
      (p) => `SELECT 1 AS held FROM sync_leases WHERE supplier_id = ${p()} AND holder = ${p()}${sql.dialect === "postgres" ? " FOR SHARE" : ""}`,
    ),
    of: statement((p) => `SELECT ${selectColumns(syncLeases)} FROM sync_leases WHERE supplier_id = ${p()}`),
  };

  return {
    /** True when this holder now has the supplier's lease (free, expired, or already its own). */
    async acquireLease(supplierId: number, holder: string, runId: string, now: number, ttlMs: number): Promise<boolean> {
      return (await sql.run(S.take, [supplierId, holder, runId, now, now + ttlMs, now, holder])) === 1;
    },
    /** True when the lease still names this holder, now until `now + ttlMs`. */
    async renewLease(supplierId: number, holder: string, now: number, ttlMs: number): Promise<boolean> {
      return (await sql.run(S.renew, [now + ttlMs, supplierId, holder])) === 1;
    },
    /**
     * True when the lease names this holder, read through `tx`: inside a commit's transaction, the
     * fence that keeps a runner whose lease was taken over from landing. A read, not a renewal, so
     * the commits of one run's groups do not queue on the lease row one behind the other. A takeover
     * cannot pass it: on SQLite the commit is the one writer; on PostgreSQL the row is read FOR SHARE,
     * and the takeover's UPDATE waits for the commit and then takes the lease from a holder whose
     * chunk has landed, so the new holder reads the inbox as that commit left it.
     */
    async holds(tx: SqlRunner, supplierId: number, holder: string): Promise<boolean> {
      return (await tx.get(S.holds, [supplierId, holder])) !== undefined;
    },
    async releaseLease(supplierId: number, holder: string): Promise<void> {
      await sql.run(S.release, [supplierId, holder]);
    },
    leaseOf: (supplierId: number): Promise<SyncLeaseRow | undefined> => sql.get<SyncLeaseRow>(S.of, [supplierId]),
  };
}
