import { and, asc, count, desc, eq, gt, gte, inArray, lte, notInArray } from "drizzle-orm";
import { type Store, withTransaction } from "../database.js";
import { conformanceJobs, conformanceSandboxes } from "../schema/index.js";

export type ConformanceSandboxRow = typeof conformanceSandboxes.$inferSelect;
export type ConformanceJobRow = typeof conformanceJobs.$inferSelect;
export type ConformanceJobStatus = ConformanceJobRow["status"];

export type ConformanceJobRepo = ReturnType<typeof createConformanceJobRepo>;

/** Suppliers' registered test environments and the certification runs queued for the background. */
export function createConformanceJobRepo(store: Store) {
  const { db } = store;
  /** Running jobs whose holder still renews its lease: the ones that count against the limits. */
  const live = (now: number) => and(eq(conformanceJobs.status, "running"), gt(conformanceJobs.leaseUntil, now));
  return {
    sandbox: (supplierId: number): ConformanceSandboxRow | undefined =>
      db.select().from(conformanceSandboxes).where(eq(conformanceSandboxes.supplierId, supplierId)).get(),
    putSandbox(row: ConformanceSandboxRow): void {
      const { supplierId: _key, ...set } = row;
      db.insert(conformanceSandboxes).values(row).onConflictDoUpdate({ target: conformanceSandboxes.supplierId, set }).run();
    },

    job: (id: string): ConformanceJobRow | undefined => db.select().from(conformanceJobs).where(eq(conformanceJobs.id, id)).get(),
    /** A supplier's jobs, newest first. */
    jobsOf: (supplierId: number, limit: number): ConformanceJobRow[] =>
      db.select().from(conformanceJobs).where(eq(conformanceJobs.supplierId, supplierId)).orderBy(desc(conformanceJobs.requestedAt)).limit(limit).all(),
    /** Jobs queued for, or running with a live lease for, the supplier (at most one by the queue's rule). */
    openJobOf: (supplierId: number, now: number): ConformanceJobRow | undefined =>
      db
        .select()
        .from(conformanceJobs)
        .where(
          and(
            eq(conformanceJobs.supplierId, supplierId),
            inArray(conformanceJobs.status, ["queued", "running"]),
            notInArray(conformanceJobs.id, staleRunningIds(now)),
          ),
        )
        .get(),
    /** Jobs the supplier asked for since `since` (the daily cap counts every one, whatever became of it). */
    requestedSince: (supplierId: number, since: number): number =>
      db
        .select({ n: count() })
        .from(conformanceJobs)
        .where(and(eq(conformanceJobs.supplierId, supplierId), gte(conformanceJobs.requestedAt, since)))
        .get()?.n ?? 0,
    enqueue: (row: Pick<ConformanceJobRow, "id" | "supplierId" | "actor" | "requestedAt">): void =>
      void db
        .insert(conformanceJobs)
        .values({ ...row, status: "queued", progressJson: "[]" })
        .run(),

    /**
     * The oldest queued job of a supplier with no live running job, taken for `holder` until
     * `leaseUntil` — unless `maxRunning` jobs already run. One transaction: two instances claiming
     * at once never both take a job, nor two of one supplier.
     */
    claimNext(holder: string, now: number, leaseUntil: number, maxRunning: number): ConformanceJobRow | null {
      return withTransaction(store, () => {
        const running = db.select({ supplierId: conformanceJobs.supplierId }).from(conformanceJobs).where(live(now)).all();
        if (running.length >= maxRunning) return null;
        const busy = running.map((r) => r.supplierId);
        const next = db
          .select()
          .from(conformanceJobs)
          .where(
            busy.length === 0 ? eq(conformanceJobs.status, "queued") : and(eq(conformanceJobs.status, "queued"), notInArray(conformanceJobs.supplierId, busy)),
          )
          .orderBy(asc(conformanceJobs.requestedAt))
          .get();
        if (!next) return null;
        db.update(conformanceJobs).set({ status: "running", holder, leaseUntil, startedAt: now }).where(eq(conformanceJobs.id, next.id)).run();
        return { ...next, status: "running", holder, leaseUntil, startedAt: now };
      });
    },
    /** Extends the lease of a job this holder runs; false when it is no longer its. */
    renew: (id: string, holder: string, leaseUntil: number): boolean =>
      db
        .update(conformanceJobs)
        .set({ leaseUntil })
        .where(and(eq(conformanceJobs.id, id), eq(conformanceJobs.holder, holder), eq(conformanceJobs.status, "running")))
        .run().changes > 0,
    progress: (id: string, holder: string, progressJson: string): void =>
      void db
        .update(conformanceJobs)
        .set({ progressJson })
        .where(and(eq(conformanceJobs.id, id), eq(conformanceJobs.holder, holder)))
        .run(),
    finish: (id: string, holder: string, status: "passed" | "failed" | "interrupted", endedAt: number, error: string | null): boolean =>
      db
        .update(conformanceJobs)
        .set({ status, endedAt, error, holder: null, leaseUntil: null })
        .where(and(eq(conformanceJobs.id, id), eq(conformanceJobs.holder, holder), eq(conformanceJobs.status, "running")))
        .run().changes > 0,
    /** A stopping instance's running jobs: interrupted at once rather than after their lease. */
    interruptHolder(holder: string, now: number, error: string): number {
      return db
        .update(conformanceJobs)
        .set({ status: "interrupted", endedAt: now, error, holder: null, leaseUntil: null })
        .where(and(eq(conformanceJobs.status, "running"), eq(conformanceJobs.holder, holder)))
        .run().changes;
    },
    /** Running jobs whose holder stopped renewing (its process died): interrupted, never left running. */
    interruptStale(now: number, error: string): number {
      return db
        .update(conformanceJobs)
        .set({ status: "interrupted", endedAt: now, error, holder: null, leaseUntil: null })
        .where(and(eq(conformanceJobs.status, "running"), lte(conformanceJobs.leaseUntil, now)))
        .run().changes;
    },
  };

  /** Ids of running jobs whose lease ran out: a sub-select, so the caller needs no second statement. */
  function staleRunningIds(now: number) {
    return db
      .select({ id: conformanceJobs.id })
      .from(conformanceJobs)
      .where(and(eq(conformanceJobs.status, "running"), lte(conformanceJobs.leaseUntil, now)));
  }
}
