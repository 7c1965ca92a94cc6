import { and, asc, count, desc, eq, gte, lt, sql } from "drizzle-orm";
import type { Store } from "../database.js";
import { statementFor } from "../sql/placeholders.js";
import { orderEvents, orders, productionChecks, productionScores, syncMessageLogs } from "../schema/index.js";

export type ProductionCheckRow = typeof productionChecks.$inferSelect;
export type ProductionScoreRow = typeof productionScores.$inferSelect;
/** A day's tally of one check, to add to what is stored. */
export type CheckIncrement = { supplierId: number; day: string; check: string; total: number; failed: number; evidence: readonly unknown[] };

export type ProductionRepo = ReturnType<typeof createProductionRepo>;

/** Production conformance: the per-day tallies of the kit's checks, and each day's score and action. */
export function createProductionRepo(store: Store) {
  const { db } = store;
  // The tallies' write, on the asynchronous store: written every few seconds under production traffic.
  const statement = statementFor(store.dialect);
  const CHECKS = {
    stored: statement(
      (p) =>
        'SELECT total, failed, evidence_json AS "evidenceJson" FROM production_checks WHERE supplier_id = ' + `${p()} AND day = ${p()} AND "check" = ${p()}`,
    ),
    update: statement(
      (p) =>
        `UPDATE production_checks SET total = ${p()}, failed = ${p()}, evidence_json = ${p()} WHERE supplier_id = ${p()} AND day = ${p()} AND "check" = ${p()}`,
    ),
    insert: statement(
      (p) => `INSERT INTO production_checks (supplier_id, day, "check", total, failed, evidence_json) VALUES (${p()}, ${p()}, ${p()}, ${p()}, ${p()}, ${p()})`,
    ),
  };
  return {
    /**
     * Adds increments to the stored tallies, in one transaction; evidence is kept up to
     * `evidenceKept` calls a check and day (the first ones: they show when it started).
     */
    async addChecks(increments: readonly CheckIncrement[], evidenceKept: number): Promise<void> {
      if (increments.length === 0) return;
      await store.sql.transaction(async (tx) => {
        for (const inc of increments) {
          const key = [inc.supplierId, inc.day, inc.check];
          const stored = await tx.get<{ total: number; failed: number; evidenceJson: string }>(CHECKS.stored, key);
          const evidence = [...(stored ? (JSON.parse(stored.evidenceJson) as unknown[]) : []), ...inc.evidence].slice(0, evidenceKept);
          if (stored) await tx.run(CHECKS.update, [stored.total + inc.total, stored.failed + inc.failed, JSON.stringify(evidence), ...key]);
          else await tx.run(CHECKS.insert, [...key, inc.total, inc.failed, JSON.stringify(evidence)]);
        }
      });
    },
    checksOf: (supplierId: number, day: string): ProductionCheckRow[] =>
      db
        .select()
        .from(productionChecks)
        .where(and(eq(productionChecks.supplierId, supplierId), eq(productionChecks.day, day)))
        .orderBy(asc(productionChecks.check))
        .all(),
    /** Days with any tally for the supplier in [fromDay, toDay), oldest first. */
    daysWithChecks: (supplierId: number, fromDay: string, toDay: string): string[] =>
      db
        .selectDistinct({ day: productionChecks.day })
        .from(productionChecks)
        .where(and(eq(productionChecks.supplierId, supplierId), gte(productionChecks.day, fromDay), lt(productionChecks.day, toDay)))
        .orderBy(asc(productionChecks.day))
        .all()
        .map((r) => r.day),

    /** Messages the puller logged in [from, to) and how many of them it quarantined. */
    messagesBetween(supplierId: number, from: number, to: number): { total: number; quarantined: number } {
      const where = and(eq(syncMessageLogs.supplierId, supplierId), gte(syncMessageLogs.at, from), lt(syncMessageLogs.at, to));
      const row = db
        .select({ total: count(), quarantined: sql<number>`sum(case when ${syncMessageLogs.outcome} = 'quarantined' then 1 else 0 end)` })
        .from(syncMessageLogs)
        .where(where)
        .get();
      return { total: Number(row?.total ?? 0), quarantined: Number(row?.quarantined ?? 0) };
    },
    /** S-11 answers read in [from, to) (a submit that ended submitted or failed) and those that failed the answer check. */
    submitAnswersBetween(supplierId: number, from: number, to: number): { total: number; mismatched: number } {
      const row = db
        .select({
          total: count(),
          mismatched: sql<number>`sum(case when ${orderEvents.toState} = 'failed' and ${orders.failureKind} = 'mismatch' then 1 else 0 end)`,
        })
        .from(orderEvents)
        .innerJoin(orders, eq(orders.id, orderEvents.orderId))
        .where(
          and(
            eq(orders.supplierId, supplierId),
            eq(orderEvents.step, "submit"),
            sql`${orderEvents.toState} in ('submitted', 'failed')`,
            gte(orderEvents.at, from),
            lt(orderEvents.at, to),
          ),
        )
        .get();
      return { total: Number(row?.total ?? 0), mismatched: Number(row?.mismatched ?? 0) };
    },

    score: (supplierId: number, day: string): ProductionScoreRow | undefined =>
      db
        .select()
        .from(productionScores)
        .where(and(eq(productionScores.supplierId, supplierId), eq(productionScores.day, day)))
        .get(),
    /** The supplier's scored days, newest first. */
    scores: (supplierId: number, limit: number): ProductionScoreRow[] =>
      db.select().from(productionScores).where(eq(productionScores.supplierId, supplierId)).orderBy(desc(productionScores.day)).limit(limit).all(),
    putScore(row: ProductionScoreRow): void {
      const { supplierId: _s, day: _d, ...set } = row;
      db.insert(productionScores)
        .values(row)
        .onConflictDoUpdate({ target: [productionScores.supplierId, productionScores.day], set })
        .run();
    },
    decide: (supplierId: number, day: string, proposal: "approved" | "dismissed", by: string, at: number): boolean =>
      db
        .update(productionScores)
        .set({ proposal, decidedBy: by, decidedAt: at })
        .where(and(eq(productionScores.supplierId, supplierId), eq(productionScores.day, day), eq(productionScores.proposal, "open")))
        .run().changes > 0,
  };
}
