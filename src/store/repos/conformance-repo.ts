import { and, desc, eq, getTableColumns, gt, inArray, isNull, ne, sql } from "drizzle-orm";
import type { Store } from "../database.js";
import { conformanceRuns, gateWaivers, mallUsage, signingKeys, trustMarks } from "../schema/index.js";

export type SigningKeyRow = typeof signingKeys.$inferSelect;
export type ConformanceRunRow = typeof conformanceRuns.$inferSelect;
export type ConformanceRunListRow = Omit<ConformanceRunRow, "reportJson">;
export type TrustMarkRow = typeof trustMarks.$inferSelect;
export type GateWaiverRow = typeof gateWaivers.$inferSelect;
export type MallUsageRow = typeof mallUsage.$inferSelect;

// Lists leave out the report itself (tens of KiB a run).
const { reportJson: _reportJson, ...runListColumns } = getTableColumns(conformanceRuns);

/**
 * Insertion order breaks ties between rows of the same millisecond, newest first. SQLite has the
 * rowid. PostgreSQL has none, so it takes the age of the transaction that inserted the run (youngest
 * first): runs are never updated, and a mark is inserted in its run's transaction, so that age stays
 * the insertion order (age() counts around xid wraparound, and rows of one millisecond are close).
 */
function newestFirst(store: Store) {
  if (store.dialect !== "postgres") return { run: desc(sql`rowid`), mark: desc(sql`rowid`) };
  return {
    run: sql`age(${conformanceRuns}.xmin)`,
    mark: sql`(select age(r.xmin) from ${conformanceRuns} r where r.id = ${trustMarks.runId})`,
  };
}

export type ConformanceRepo = ReturnType<typeof createConformanceRepo>;

/** Signing keys, certification runs, trust marks, gate waivers and mall-side usage. */
export function createConformanceRepo(store: Store) {
  const { db } = store;
  const inserted = newestFirst(store);
  return {
    activeKey: (): SigningKeyRow | undefined => db.select().from(signingKeys).where(isNull(signingKeys.retiredAt)).orderBy(desc(signingKeys.createdAt)).get(),
    keyByKid: (kid: string): SigningKeyRow | undefined => db.select().from(signingKeys).where(eq(signingKeys.kid, kid)).get(),
    allKeys: (): SigningKeyRow[] => db.select().from(signingKeys).orderBy(desc(signingKeys.createdAt)).all(),
    /** The new key becomes the only active one, in one transaction. */
    rotateKey(row: SigningKeyRow): void {
      store.connection
        .transaction(() => {
          db.update(signingKeys).set({ retiredAt: row.createdAt }).where(isNull(signingKeys.retiredAt)).run();
          db.insert(signingKeys).values(row).run();
        })
        .immediate();
    },
    /** Records that the key signs from `at` on (its first signature only). */
    noteSigned(kid: string, at: number): void {
      db.update(signingKeys)
        .set({ firstSignedAt: at })
        .where(and(eq(signingKeys.kid, kid), isNull(signingKeys.firstSignedAt)))
        .run();
    },

    insertRun: (row: ConformanceRunRow): void => void db.insert(conformanceRuns).values(row).run(),
    run: (id: string): ConformanceRunRow | undefined => db.select().from(conformanceRuns).where(eq(conformanceRuns.id, id)).get(),
    runs(filter: { supplierId?: number; limit: number }): ConformanceRunListRow[] {
      return db
        .select(runListColumns)
        .from(conformanceRuns)
        .where(filter.supplierId === undefined ? undefined : eq(conformanceRuns.supplierId, filter.supplierId))
        .orderBy(desc(conformanceRuns.startedAt), inserted.run)
        .limit(filter.limit)
        .all();
    },

    /** The run and its mark land together: a mark never points at a run that is not stored. */
    insertRunWithMark(run: ConformanceRunRow, mark: TrustMarkRow | null): void {
      store.connection
        .transaction(() => {
          db.insert(conformanceRuns).values(run).run();
          if (mark) db.insert(trustMarks).values(mark).run();
        })
        .immediate();
    },
    mark: (id: string): TrustMarkRow | undefined => db.select().from(trustMarks).where(eq(trustMarks.id, id)).get(),
    /** The supplier's current mark: the one issued last. */
    currentMark: (supplierId: number): TrustMarkRow | undefined =>
      db.select().from(trustMarks).where(eq(trustMarks.supplierId, supplierId)).orderBy(desc(trustMarks.issuedAt), inserted.mark).get(),
    marksOf: (supplierId: number): TrustMarkRow[] =>
      db.select().from(trustMarks).where(eq(trustMarks.supplierId, supplierId)).orderBy(desc(trustMarks.issuedAt)).all(),
    /**
     * The supplier's marks take the state, and a gate waiver granted before ends with it
     * (production-gate.ts), in one transaction. Returns the waiver ended, if there was one.
     */
    setMarksState(supplierId: number, ids: readonly string[], state: TrustMarkRow["state"], reason: string, at: number): GateWaiverRow | undefined {
      return store.connection
        .transaction(() => {
          if (ids.length > 0)
            db.update(trustMarks)
              .set({ state, stateReason: reason, stateChangedAt: at })
              .where(and(eq(trustMarks.supplierId, supplierId), inArray(trustMarks.id, [...ids])))
              .run();
          const waiver = db.select().from(gateWaivers).where(eq(gateWaivers.supplierId, supplierId)).get();
          if (waiver) db.delete(gateWaivers).where(eq(gateWaivers.supplierId, supplierId)).run();
          return waiver;
        })
        .immediate();
    },
    /** Marks issued under another contract version that have no re-certify-by date yet. */
    marksNeedingRecertifyCheck: (contractVersion: string, now: number): TrustMarkRow[] =>
      db
        .select()
        .from(trustMarks)
        .where(and(ne(trustMarks.contractVersion, contractVersion), isNull(trustMarks.recertifyBy), gt(trustMarks.expiresAt, now)))
        .all(),
    setRecertifyBy: (id: string, at: number): void => void db.update(trustMarks).set({ recertifyBy: at }).where(eq(trustMarks.id, id)).run(),

    waiver: (supplierId: number): GateWaiverRow | undefined => db.select().from(gateWaivers).where(eq(gateWaivers.supplierId, supplierId)).get(),
    putWaiver(row: GateWaiverRow): void {
      db.insert(gateWaivers)
        .values(row)
        .onConflictDoUpdate({ target: gateWaivers.supplierId, set: { reason: row.reason, actor: row.actor, createdAt: row.createdAt } })
        .run();
    },
    /** Removes the supplier's waiver; false when it had none. */
    deleteWaiver: (supplierId: number): boolean => db.delete(gateWaivers).where(eq(gateWaivers.supplierId, supplierId)).run().changes > 0,

    /** First use of a mall operation by an account with this outcome; later ones change nothing. */
    noteMallUsage: (row: MallUsageRow): void => void db.insert(mallUsage).values(row).onConflictDoNothing().run(),
    mallUsageOf: (accountId: number): MallUsageRow[] => db.select().from(mallUsage).where(eq(mallUsage.accountId, accountId)).all(),
  };
}
