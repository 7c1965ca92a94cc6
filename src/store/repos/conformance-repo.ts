import { getTableColumns } from "drizzle-orm";
import { conformanceRuns, gateWaivers, mallUsage, signingKeys, trustMarks } from "../schema/index.js";
import { statementFor } from "../sql/placeholders.js";
import type { SqlRunner, SqlStore, Transaction } from "../sql/sql-store.js";
import { rowInsert } from "./bulk-rows.js";
import { selectColumns } from "./row-sql.js";

export type SigningKeyRow = typeof signingKeys.$inferSelect;
export type ConformanceRunRow = typeof conformanceRuns.$inferSelect;
export type ConformanceRunListRow = Omit<ConformanceRunRow, "reportJson">;
export type TrustMarkRow = typeof trustMarks.$inferSelect;
export type GateWaiverRow = typeof gateWaivers.$inferSelect;
export type MallUsageRow = typeof mallUsage.$inferSelect;

const KEY = selectColumns(signingKeys);
const RUN = selectColumns(conformanceRuns);
const MARK = selectColumns(trustMarks);
const WAIVER = selectColumns(gateWaivers);
const USAGE = selectColumns(mallUsage);
// Lists leave out the report itself (tens of KiB a run).
const RUN_LIST = Object.entries(getTableColumns(conformanceRuns))
  .filter(([key]) => key !== "reportJson")
  .map(([key, column]) => `"${column.name}" AS "${key}"`)
  .join(", ");
const RUN_KEYS = Object.keys(getTableColumns(conformanceRuns));
const MARK_KEYS = Object.keys(getTableColumns(trustMarks));
const KEY_KEYS = Object.keys(getTableColumns(signingKeys));

/**
 * Insertion order breaks ties between rows of the same millisecond, newest first. SQLite has the
 * rowid. PostgreSQL has none, so it takes the age of the transaction that inserted the run (youngest
 * first): runs are never updated, and a mark is inserted in its run's transaction, so that age stays
 * the insertion order (age() counts around xid wraparound, and rows of one millisecond are close).
 */
function newestFirst(dialect: "sqlite" | "postgres") {
  if (dialect !== "postgres") return { run: "rowid DESC", mark: "rowid DESC" };
  return {
    run: 'age("conformance_runs".xmin)',
    mark: '(select age(r.xmin) from "conformance_runs" r where r.id = "trust_marks"."run_id")',
  };
}

export type ConformanceRepo = ReturnType<typeof createConformanceRepo>;

/**
 * Signing keys, certification runs, trust marks, gate waivers and mall-side usage, on the
 * asynchronous store. A method given `tx` (a transaction's handle) runs there, with the caller's
 * other writes and reads; without it, on its own.
 */
export function createConformanceRepo(sql: SqlStore) {
  const { dialect } = sql;
  const statement = statementFor(dialect);
  const inserted = newestFirst(dialect);
  const S = {
    activeKey: `SELECT ${KEY} FROM signing_keys WHERE retired_at IS NULL ORDER BY created_at DESC LIMIT 1`,
    keyByKid: statement((p) => `SELECT ${KEY} FROM signing_keys WHERE kid = ${p()}`),
    allKeys: `SELECT ${KEY} FROM signing_keys ORDER BY created_at DESC`,
    retireKeys: statement((p) => `UPDATE signing_keys SET retired_at = ${p()} WHERE retired_at IS NULL`),
    insertKey: rowInsert(signingKeys, KEY_KEYS, "", dialect),
    noteSigned: statement((p) => `UPDATE signing_keys SET first_signed_at = ${p()} WHERE kid = ${p()} AND first_signed_at IS NULL`),

    insertRun: rowInsert(conformanceRuns, RUN_KEYS, "", dialect),
    run: statement((p) => `SELECT ${RUN} FROM conformance_runs WHERE id = ${p()}`),
    runs: statement((p) => `SELECT ${RUN_LIST} FROM conformance_runs ORDER BY started_at DESC, ${inserted.run} LIMIT ${p()}`),
    runsOf: statement((p) => `SELECT ${RUN_LIST} FROM conformance_runs WHERE supplier_id = ${p()} ORDER BY started_at DESC, ${inserted.run} LIMIT ${p()}`),

    insertMark: rowInsert(trustMarks, MARK_KEYS, "", dialect),
    mark: statement((p) => `SELECT ${MARK} FROM trust_marks WHERE id = ${p()}`),
    currentMark: statement((p) => `SELECT ${MARK} FROM trust_marks WHERE supplier_id = ${p()} ORDER BY issued_at DESC, ${inserted.mark} LIMIT 1`),
    marksOf: statement((p) => `SELECT ${MARK} FROM trust_marks WHERE supplier_id = ${p()} ORDER BY issued_at DESC`),
    setMarksState:
      dialect === "postgres"
        ? "UPDATE trust_marks SET state = $1, state_reason = $2, state_changed_at = $3 WHERE supplier_id = $4 AND id = ANY(ARRAY(SELECT unnest($5::text[])))"
        : "UPDATE trust_marks SET state = ?, state_reason = ?, state_changed_at = ? WHERE supplier_id = ? AND id IN (SELECT value FROM json_each(?))",
    marksNeedingRecertifyCheck: statement(
      (p) => `SELECT ${MARK} FROM trust_marks WHERE contract_version <> ${p()} AND recertify_by IS NULL AND expires_at > ${p()}`,
    ),
    setRecertifyBy: statement((p) => `UPDATE trust_marks SET recertify_by = ${p()} WHERE id = ${p()}`),

    waiver: statement((p) => `SELECT ${WAIVER} FROM gate_waivers WHERE supplier_id = ${p()}`),
    putWaiver: statement(
      (p) =>
        `INSERT INTO gate_waivers (supplier_id, reason, actor, created_at) VALUES (${p()}, ${p()}, ${p()}, ${p()}) ` +
        "ON CONFLICT (supplier_id) DO UPDATE SET reason = excluded.reason, actor = excluded.actor, created_at = excluded.created_at",
    ),
    deleteWaiver: statement((p) => `DELETE FROM gate_waivers WHERE supplier_id = ${p()}`),

    noteMallUsage: statement(
      (p) => `INSERT INTO mall_usage (account_id, operation, outcome, first_at) VALUES (${p()}, ${p()}, ${p()}, ${p()}) ON CONFLICT DO NOTHING`,
    ),
    mallUsageOf: statement((p) => `SELECT ${USAGE} FROM mall_usage WHERE account_id = ${p()}`),
  };
  // The 0/1 flag is a boolean column on PostgreSQL.
  const runValues = (row: ConformanceRunRow) => S.insertRun.values(dialect === "postgres" ? { ...row, passed: row.passed !== 0 } : row);

  return {
    /** One transaction on the repository's store, for a service whose reads decide its writes. */
    transaction: <T>(work: (tx: Transaction) => Promise<T>): Promise<T> => sql.transaction(work),

    activeKey: (tx: SqlRunner = sql): Promise<SigningKeyRow | undefined> => tx.get<SigningKeyRow>(S.activeKey),
    keyByKid: (kid: string): Promise<SigningKeyRow | undefined> => sql.get<SigningKeyRow>(S.keyByKid, [kid]),
    allKeys: (): Promise<SigningKeyRow[]> => sql.all<SigningKeyRow>(S.allKeys),
    /**
     * The new key becomes the only active one, in one transaction; answers the key that was active
     * before (read in that transaction), or null.
     */
    rotateKey(row: SigningKeyRow): Promise<string | null> {
      return sql.transaction(async (tx) => {
        const before = await tx.get<SigningKeyRow>(S.activeKey);
        await tx.run(S.retireKeys, [row.createdAt]);
        await tx.run(S.insertKey.sql, S.insertKey.values(row));
        return before?.kid ?? null;
      });
    },
    /** Records that the key signs from `at` on (its first signature only). */
    async noteSigned(kid: string, at: number): Promise<void> {
      await sql.run(S.noteSigned, [at, kid]);
    },

    async insertRun(row: ConformanceRunRow, tx: SqlRunner = sql): Promise<void> {
      await tx.run(S.insertRun.sql, runValues(row));
    },
    run: (id: string): Promise<ConformanceRunRow | undefined> => sql.get<ConformanceRunRow>(S.run, [id]),
    runs(filter: { supplierId?: number; limit: number }): Promise<ConformanceRunListRow[]> {
      return filter.supplierId === undefined
        ? sql.all<ConformanceRunListRow>(S.runs, [filter.limit])
        : sql.all<ConformanceRunListRow>(S.runsOf, [filter.supplierId, filter.limit]);
    },

    /** The run and its mark land together: a mark never points at a run that is not stored. */
    insertRunWithMark(run: ConformanceRunRow, mark: TrustMarkRow | null): Promise<void> {
      return sql.transaction(async (tx) => {
        await tx.run(S.insertRun.sql, runValues(run));
        if (mark) await tx.run(S.insertMark.sql, S.insertMark.values(mark));
      });
    },
    mark: (id: string, tx: SqlRunner = sql): Promise<TrustMarkRow | undefined> => tx.get<TrustMarkRow>(S.mark, [id]),
    /** The supplier's current mark: the one issued last. */
    currentMark: (supplierId: number, tx: SqlRunner = sql): Promise<TrustMarkRow | undefined> => tx.get<TrustMarkRow>(S.currentMark, [supplierId]),
    marksOf: (supplierId: number, tx: SqlRunner = sql): Promise<TrustMarkRow[]> => tx.all<TrustMarkRow>(S.marksOf, [supplierId]),
    /**
     * The supplier's marks take the state, and a gate waiver granted before ends with it
     * (production-gate.ts): in `tx` when given (the caller's transaction, whose reads decided the
     * change), else in a transaction of its own. Returns the waiver ended, if there was one.
     */
    setMarksState(
      supplierId: number,
      ids: readonly string[],
      state: TrustMarkRow["state"],
      reason: string,
      at: number,
      tx?: SqlRunner,
    ): Promise<GateWaiverRow | undefined> {
      const write = async (db: SqlRunner) => {
        if (ids.length > 0) await db.run(S.setMarksState, [state, reason, at, supplierId, dialect === "postgres" ? [...ids] : JSON.stringify(ids)]);
        const waiver = await db.get<GateWaiverRow>(S.waiver, [supplierId]);
        if (waiver) await db.run(S.deleteWaiver, [supplierId]);
        return waiver;
      };
      return tx ? write(tx) : sql.transaction(write);
    },
    /** Marks issued under another contract version that have no re-certify-by date yet. */
    marksNeedingRecertifyCheck: (contractVersion: string, now: number): Promise<TrustMarkRow[]> =>
      sql.all<TrustMarkRow>(S.marksNeedingRecertifyCheck, [contractVersion, now]),
    async setRecertifyBy(id: string, at: number): Promise<void> {
      await sql.run(S.setRecertifyBy, [at, id]);
    },

    waiver: (supplierId: number, tx: SqlRunner = sql): Promise<GateWaiverRow | undefined> => tx.get<GateWaiverRow>(S.waiver, [supplierId]),
    async putWaiver(row: GateWaiverRow, tx: SqlRunner = sql): Promise<void> {
      await tx.run(S.putWaiver, [row.supplierId, row.reason, row.actor, row.createdAt]);
    },
    /** Removes the supplier's waiver; false when it had none. */
    async deleteWaiver(supplierId: number, tx: SqlRunner = sql): Promise<boolean> {
      return (await tx.run(S.deleteWaiver, [supplierId])) > 0;
    },

    /** First use of a mall operation by an account with this outcome; later ones change nothing. */
    async noteMallUsage(row: MallUsageRow): Promise<void> {
      await sql.run(S.noteMallUsage, [row.accountId, row.operation, row.outcome, row.firstAt]);
    },
    mallUsageOf: (accountId: number): Promise<MallUsageRow[]> => sql.all<MallUsageRow>(S.mallUsageOf, [accountId]),
  };
}
