import { and, desc, eq, lt } from "drizzle-orm";
import type { Store } from "../database.js";
import { syncRuns } from "../schema/index.js";

export type SyncRunRow = typeof syncRuns.$inferSelect;

/** The sync log's runs: one row per pull, stock refresh or replay, started and then finished. */
export type SyncRunRepo = ReturnType<typeof createSyncRunRepo>;

export function createSyncRunRepo(store: Store) {
  const { db } = store;
  return {
    startRun(run: Pick<SyncRunRow, "id" | "supplierId" | "trigger" | "startedAt">): void {
      db.insert(syncRuns)
        .values({ ...run, status: "running" })
        .run();
    },
    finishRun(id: string, change: Pick<SyncRunRow, "status" | "endedAt" | "countsJson" | "callsMade" | "errorsJson">): void {
      db.update(syncRuns).set(change).where(eq(syncRuns.id, id)).run();
    },
    runs(filter: { supplierId?: number; limit: number; before?: number }): SyncRunRow[] {
      const conditions = [
        filter.supplierId === undefined ? undefined : eq(syncRuns.supplierId, filter.supplierId),
        filter.before === undefined ? undefined : lt(syncRuns.startedAt, filter.before),
      ].filter((c) => c !== undefined);
      return db
        .select()
        .from(syncRuns)
        .where(and(...conditions))
        .orderBy(desc(syncRuns.startedAt))
        .limit(filter.limit)
        .all();
    },
    run: (id: string): SyncRunRow | undefined => db.select().from(syncRuns).where(eq(syncRuns.id, id)).get(),
  };
}
