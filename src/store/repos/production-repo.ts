import { getTableColumns } from "drizzle-orm";
import { productionChecks, productionScores } from "../schema/index.js";
import { statementFor } from "../sql/placeholders.js";
import type { SqlRunner, SqlStore, Transaction } from "../sql/sql-store.js";
import { rowInsert } from "./bulk-rows.js";
import { conflictUpdateSql, selectColumns } from "./row-sql.js";

export type ProductionCheckRow = typeof productionChecks.$inferSelect;
export type ProductionScoreRow = typeof productionScores.$inferSelect;
/** A day's tally of one check, to add to what is stored. */
export type CheckIncrement = { supplierId: number; day: string; check: string; total: number; failed: number; evidence: readonly unknown[] };

export type ProductionRepo = ReturnType<typeof createProductionRepo>;

const CHECK = selectColumns(productionChecks);
const SCORE = selectColumns(productionScores);
const SCORE_KEYS = Object.keys(getTableColumns(productionScores));

/**
 * Production conformance: the per-day tallies of the kit's checks, and each day's score and action,
 * on the asynchronous store. A method given `tx` (a transaction's handle) runs there, with the
 * caller's other reads and writes; without it, on its own.
 */
export function createProductionRepo(sql: SqlStore) {
  const { dialect } = sql;
  const statement = statementFor(dialect);
  const S = {
    // The tallies' write: every few seconds under production traffic.
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
    checksOf: statement((p) => `SELECT ${CHECK} FROM production_checks WHERE supplier_id = ${p()} AND day = ${p()} ORDER BY "check"`),
    daysWithChecks: statement((p) => `SELECT DISTINCT day FROM production_checks WHERE supplier_id = ${p()} AND day >= ${p()} AND day < ${p()} ORDER BY day`),
    messagesBetween: statement(
      (p) =>
        "SELECT count(*) AS total, sum(CASE WHEN outcome = 'quarantined' THEN 1 ELSE 0 END) AS quarantined FROM sync_message_logs " +
        `WHERE supplier_id = ${p()} AND at >= ${p()} AND at < ${p()}`,
    ),
    submitAnswersBetween: statement(
      (p) =>
        "SELECT count(*) AS total, sum(CASE WHEN e.to_state = 'failed' AND o.failure_kind = 'mismatch' THEN 1 ELSE 0 END) AS mismatched " +
        "FROM order_events e INNER JOIN orders o ON o.id = e.order_id " +
        `WHERE o.supplier_id = ${p()} AND e.step = 'submit' AND e.to_state IN ('submitted', 'failed') AND e.at >= ${p()} AND e.at < ${p()}`,
    ),
    score: statement((p) => `SELECT ${SCORE} FROM production_scores WHERE supplier_id = ${p()} AND day = ${p()}`),
    scores: statement((p) => `SELECT ${SCORE} FROM production_scores WHERE supplier_id = ${p()} ORDER BY day DESC LIMIT ${p()}`),
    putScore: rowInsert(productionScores, SCORE_KEYS, conflictUpdateSql(productionScores, SCORE_KEYS, ["supplierId", "day"], []), dialect),
    decide: statement(
      (p) =>
        `UPDATE production_scores SET proposal = ${p()}, decided_by = ${p()}, decided_at = ${p()} WHERE supplier_id = ${p()} AND day = ${p()} AND proposal = 'open'`,
    ),
  };
  return {
    /** One transaction on the repository's store, for a service whose reads decide its writes. */
    transaction: <T>(work: (tx: Transaction) => Promise<T>): Promise<T> => sql.transaction(work),

    /**
     * Adds increments to the stored tallies, in one transaction; evidence is kept up to
     * `evidenceKept` calls a check and day (the first ones: they show when it started).
     */
    async addChecks(increments: readonly CheckIncrement[], evidenceKept: number): Promise<void> {
      if (increments.length === 0) return;
      await sql.transaction(async (tx) => {
        for (const inc of increments) {
          const key = [inc.supplierId, inc.day, inc.check];
          const stored = await tx.get<{ total: number; failed: number; evidenceJson: string }>(S.stored, key);
          const evidence = [...(stored ? (JSON.parse(stored.evidenceJson) as unknown[]) : []), ...inc.evidence].slice(0, evidenceKept);
          if (stored) await tx.run(S.update, [stored.total + inc.total, stored.failed + inc.failed, JSON.stringify(evidence), ...key]);
          else await tx.run(S.insert, [...key, inc.total, inc.failed, JSON.stringify(evidence)]);
        }
      });
    },
    checksOf: (supplierId: number, day: string): Promise<ProductionCheckRow[]> => sql.all<ProductionCheckRow>(S.checksOf, [supplierId, day]),
    /** Days with any tally for the supplier in [fromDay, toDay), oldest first. */
    async daysWithChecks(supplierId: number, fromDay: string, toDay: string): Promise<string[]> {
      return (await sql.all<{ day: string }>(S.daysWithChecks, [supplierId, fromDay, toDay])).map((r) => r.day);
    },

    /** Messages the puller logged in [from, to) and how many of them it quarantined. */
    async messagesBetween(supplierId: number, from: number, to: number): Promise<{ total: number; quarantined: number }> {
      const row = await sql.get<{ total: number; quarantined: number | null }>(S.messagesBetween, [supplierId, from, to]);
      return { total: Number(row?.total ?? 0), quarantined: Number(row?.quarantined ?? 0) };
    },
    /** S-11 answers read in [from, to) (a submit that ended submitted or failed) and those that failed the answer check. */
    async submitAnswersBetween(supplierId: number, from: number, to: number): Promise<{ total: number; mismatched: number }> {
      const row = await sql.get<{ total: number; mismatched: number | null }>(S.submitAnswersBetween, [supplierId, from, to]);
      return { total: Number(row?.total ?? 0), mismatched: Number(row?.mismatched ?? 0) };
    },

    score: (supplierId: number, day: string, tx: SqlRunner = sql): Promise<ProductionScoreRow | undefined> =>
      tx.get<ProductionScoreRow>(S.score, [supplierId, day]),
    /** The supplier's scored days, newest first. */
    scores: (supplierId: number, limit: number, tx: SqlRunner = sql): Promise<ProductionScoreRow[]> =>
      tx.all<ProductionScoreRow>(S.scores, [supplierId, limit]),
    async putScore(row: ProductionScoreRow, tx: SqlRunner = sql): Promise<void> {
      await tx.run(S.putScore.sql, S.putScore.values(row));
    },
    /** The open proposal of the day decided; false when there was none. */
    async decide(supplierId: number, day: string, proposal: "approved" | "dismissed", by: string, at: number, tx: SqlRunner = sql): Promise<boolean> {
      return (await tx.run(S.decide, [proposal, by, at, supplierId, day])) > 0;
    },
  };
}
