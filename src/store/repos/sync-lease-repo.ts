import { and, eq } from "drizzle-orm";
import type { Store } from "../database.js";
import { syncLeases } from "../schema/index.js";

export type SyncLeaseRow = typeof syncLeases.$inferSelect;

/** Each supplier's sync lease: one runner per supplier at a time, across processes. */
export type SyncLeaseRepo = ReturnType<typeof createSyncLeaseRepo>;

export function createSyncLeaseRepo(store: Store) {
  const { db, connection: sqlite } = store;
  const takeLease = sqlite.prepare(
    "INSERT INTO sync_leases (supplier_id, holder, run_id, acquired_at, expires_at) VALUES (@supplierId, @holder, @runId, @now, @expiresAt) " +
      "ON CONFLICT (supplier_id) DO UPDATE SET holder = excluded.holder, run_id = excluded.run_id, acquired_at = excluded.acquired_at, expires_at = excluded.expires_at " +
      "WHERE sync_leases.expires_at <= @now OR sync_leases.holder = @holder",
  );

  return {
    /** True when this holder now has the supplier's lease (free, expired, or already its own). */
    acquireLease(supplierId: number, holder: string, runId: string, now: number, ttlMs: number): boolean {
      return takeLease.run({ supplierId, holder, runId, now, expiresAt: now + ttlMs }).changes === 1;
    },
    renewLease(supplierId: number, holder: string, now: number, ttlMs: number): boolean {
      return (
        db
          .update(syncLeases)
          .set({ expiresAt: now + ttlMs })
          .where(and(eq(syncLeases.supplierId, supplierId), eq(syncLeases.holder, holder)))
          .run().changes === 1
      );
    },
    releaseLease(supplierId: number, holder: string): void {
      db.delete(syncLeases)
        .where(and(eq(syncLeases.supplierId, supplierId), eq(syncLeases.holder, holder)))
        .run();
    },
    leaseOf: (supplierId: number): SyncLeaseRow | undefined => db.select().from(syncLeases).where(eq(syncLeases.supplierId, supplierId)).get(),
  };
}
