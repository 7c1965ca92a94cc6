import { getTableColumns } from "drizzle-orm";
import { mallAccounts, suppliers } from "../schema/index.js";
import { statementFor } from "../sql/placeholders.js";
import type { SqlRunner, SqlStore } from "../sql/sql-store.js";
import { rowInsert } from "./bulk-rows.js";
import { selectColumns } from "./row-sql.js";

export type SignModeValue = "hmac-sha256" | "yggc-md5";
export type AccountStatus = "active" | "disabled";

export type AccountRow = typeof mallAccounts.$inferSelect;
export type SupplierRow = typeof suppliers.$inferSelect;

export type NewSupplier = {
  code: string;
  name: string;
  creditCode: string;
  contactNameEnc: string | null;
  contactPhoneEnc: string | null;
  domains: readonly string[];
};

export type NewAccount = {
  username: string;
  passwordHash: string;
  appSecretEnc: string;
  signMode: SignModeValue;
};

const ACCOUNT = selectColumns(mallAccounts);
const SUPPLIER = selectColumns(suppliers);

/** A table's columns under `alias`, each keyed `prefix` + its key: both rows of a join in one SELECT list. */
const prefixedColumns = (table: typeof suppliers | typeof mallAccounts, alias: string, prefix: string): string =>
  Object.entries(getTableColumns(table))
    .map(([key, column]) => `${alias}."${column.name}" AS "${prefix}${key}"`)
    .join(", ");

/** The row of `table` keyed `prefix` + key in a joined row. */
const unprefixed = <R>(row: Readonly<Record<string, unknown>>, table: typeof suppliers | typeof mallAccounts, prefix: string): R =>
  Object.fromEntries(Object.keys(getTableColumns(table)).map((key) => [key, row[`${prefix}${key}`]])) as R;

/** Suppliers and the mall accounts issued to them. The only module with SQL about either. */
export type AccountRepo = ReturnType<typeof createAccountRepo>;

export function createAccountRepo(sql: SqlStore) {
  const { dialect } = sql;
  const statement = statementFor(dialect);
  const supplierInsert = rowInsert(
    suppliers,
    ["code", "name", "creditCode", "contactNameEnc", "contactPhoneEnc", "domainsJson"],
    `RETURNING ${SUPPLIER}`,
    dialect,
  );
  const accountInsert = rowInsert(mallAccounts, ["username", "passwordHash", "appSecretEnc", "signMode", "supplierId"], `RETURNING ${ACCOUNT}`, dialect);
  const S = {
    // Every signed call reads its account.
    accountById: statement((p) => `SELECT ${ACCOUNT} FROM mall_accounts WHERE id = ${p()}`),
    accountByUsername: statement((p) => `SELECT ${ACCOUNT} FROM mall_accounts WHERE username = ${p()}`),
    accountOfSupplier: statement((p) => `SELECT ${ACCOUNT} FROM mall_accounts WHERE supplier_id = ${p()}`),
    supplierById: statement((p) => `SELECT ${SUPPLIER} FROM suppliers WHERE id = ${p()}`),
    supplierByCode: statement((p) => `SELECT ${SUPPLIER} FROM suppliers WHERE code = ${p()}`),
    supplierByCreditCode: statement((p) => `SELECT ${SUPPLIER} FROM suppliers WHERE credit_code = ${p()}`),
    list:
      `SELECT ${prefixedColumns(suppliers, "s", "s.")}, ${prefixedColumns(mallAccounts, "a", "a.")} ` +
      "FROM suppliers AS s LEFT JOIN mall_accounts AS a ON a.supplier_id = s.id ORDER BY s.code",
    // A key not rotated keeps its value (the stored hash and ciphertext are never null). Parameters:
    // password hash, appSecret ciphertext, now, account id.
    rotate: statement(
      (p) =>
        `UPDATE mall_accounts SET password_hash = COALESCE(${p()}, password_hash), app_secret_enc = COALESCE(${p()}, app_secret_enc), ` +
        `credentials_version = credentials_version + 1, locked_until = NULL, updated_at = ${p()} WHERE id = ${p()} RETURNING ${ACCOUNT}`,
    ),
    supplierStatus: statement((p) => `UPDATE suppliers SET status = ${p()}, updated_at = ${p()} WHERE id = ${p()}`),
    accountStatus: statement(
      (p) => `UPDATE mall_accounts SET status = ${p()}, credentials_version = credentials_version + 1, updated_at = ${p()} WHERE supplier_id = ${p()}`,
    ),
    // Parameters: mode, now, account id, mode.
    signMode: statement(
      (p) =>
        `UPDATE mall_accounts SET sign_mode = ${p()}, credentials_version = credentials_version + 1, updated_at = ${p()} WHERE id = ${p()} AND sign_mode <> ${p()}`,
    ),
    lockedUntil: statement((p) => `SELECT locked_until AS "lockedUntil" FROM mall_accounts WHERE id = ${p()}`),
    failuresSince: statement((p) => `SELECT count(*) AS n FROM login_failures WHERE account_id = ${p()} AND "at" >= ${p()}`),
    attempt: statement((p) => `INSERT INTO login_failures (account_id, "at") VALUES (${p()}, ${p()}) RETURNING id`),
    forgetAttempt: statement((p) => `DELETE FROM login_failures WHERE id = ${p()}`),
    forgetAttempts: statement((p) => `DELETE FROM login_failures WHERE account_id = ${p()}`),
    lock: statement((p) => `UPDATE mall_accounts SET locked_until = ${p()} WHERE id = ${p()}`),
  };
  /**
   * A write to mall_accounts through `db`: this process forgets the accounts it kept once it commits
   * (other instances hear the trigger's notification, migrations-pg 0011).
   */
  const changedBy = (db: SqlRunner) => db.afterCommit(() => sql.changes.changed("accounts"));
  const failuresSince = async (db: SqlRunner, accountId: number, since: number): Promise<number> =>
    Number((await db.get<{ n: number }>(S.failuresSince, [accountId, since]))?.n ?? 0);

  return {
    /** Read by every signed call: outside a transaction, from memory while the change feed hears no change to accounts. */
    accountById: (id: number, tx: SqlRunner = sql): Promise<AccountRow | undefined> =>
      tx === sql ? sql.changes.cached("accounts", id, () => sql.get<AccountRow>(S.accountById, [id])) : tx.get<AccountRow>(S.accountById, [id]),
    accountByUsername: (username: string, tx: SqlRunner = sql): Promise<AccountRow | undefined> => tx.get<AccountRow>(S.accountByUsername, [username]),
    supplierById: (id: number, tx: SqlRunner = sql): Promise<SupplierRow | undefined> => tx.get<SupplierRow>(S.supplierById, [id]),
    supplierByCode: (code: string, tx: SqlRunner = sql): Promise<SupplierRow | undefined> => tx.get<SupplierRow>(S.supplierByCode, [code]),
    supplierByCreditCode: (creditCode: string, tx: SqlRunner = sql): Promise<SupplierRow | undefined> =>
      tx.get<SupplierRow>(S.supplierByCreditCode, [creditCode]),
    accountOfSupplier: (supplierId: number, tx: SqlRunner = sql): Promise<AccountRow | undefined> => tx.get<AccountRow>(S.accountOfSupplier, [supplierId]),

    /** Both rows as stored; in `tx` when given (with its audit row), else in a transaction of its own. */
    createSupplierWithAccount(supplier: NewSupplier, account: NewAccount, tx?: SqlRunner): Promise<{ supplier: SupplierRow; account: AccountRow }> {
      const write = async (db: SqlRunner) => {
        const s = (await db.get<SupplierRow>(
          supplierInsert.sql,
          supplierInsert.values({ ...supplier, domainsJson: JSON.stringify(supplier.domains) }),
        )) as SupplierRow;
        const a = (await db.get<AccountRow>(accountInsert.sql, accountInsert.values({ ...account, supplierId: s.id }))) as AccountRow;
        changedBy(db);
        return { supplier: s, account: a };
      };
      return tx ? write(tx) : sql.transaction(write);
    },

    async listSuppliers(): Promise<Array<{ supplier: SupplierRow; account: AccountRow | undefined }>> {
      const rows = await sql.all(S.list);
      return rows.map((r) => ({
        supplier: unprefixed<SupplierRow>(r, suppliers, "s."),
        account: r["a.id"] === null || r["a.id"] === undefined ? undefined : unprefixed<AccountRow>(r, mallAccounts, "a."),
      }));
    },

    /** Rotation bumps credentialsVersion so every token issued before dies (§2.1). */
    async rotateCredentials(
      accountId: number,
      change: { passwordHash?: string; appSecretEnc?: string },
      now: number,
      tx: SqlRunner = sql,
    ): Promise<AccountRow | undefined> {
      const row = await tx.get<AccountRow>(S.rotate, [change.passwordHash ?? null, change.appSecretEnc ?? null, now, accountId]);
      changedBy(tx);
      return row;
    },

    /** The supplier and its accounts together; in `tx` when given, else in a transaction of its own. */
    async setStatus(supplierId: number, status: AccountStatus, now: number, tx?: SqlRunner): Promise<void> {
      const write = async (db: SqlRunner) => {
        await db.run(S.supplierStatus, [status, now, supplierId]);
        await db.run(S.accountStatus, [status, now, supplierId]);
        changedBy(db);
      };
      await (tx ? write(tx) : sql.transaction(write));
    },

    /**
     * A changed mode bumps credentialsVersion: an hmac token presented under yggc-md5 would be a
     * bearer token needing no signature, so every token issued under the old mode must die.
     */
    async setSignMode(accountId: number, signMode: SignModeValue, now: number, tx: SqlRunner = sql): Promise<void> {
      await tx.run(S.signMode, [signMode, now, accountId, signMode]);
      changedBy(tx);
    },

    /**
     * Counts a login attempt before its password is verified, in one transaction (IMMEDIATE on
     * SQLite, SERIALIZABLE on PostgreSQL, where the loser of two parallel attempts runs again and
     * then sees the winner's row): with `limit` attempts already in the window (failed or still in
     * flight) or the account locked, it refuses, so parallel attempts never get more verifications
     * than the lockout allows. The row stays as a failure unless `loginSucceeded` clears it.
     */
    beginLoginAttempt(
      accountId: number,
      now: number,
      windowMs: number,
      limit: number,
    ): Promise<{ ok: true; attemptId: number } | { ok: false; lockedUntil: number | null }> {
      return sql.transaction(async (tx) => {
        const lockedUntil = (await tx.get<{ lockedUntil: number | null }>(S.lockedUntil, [accountId]))?.lockedUntil ?? null;
        if (lockedUntil !== null && lockedUntil > now) return { ok: false, lockedUntil };
        const prior = await failuresSince(tx, accountId, now - windowMs);
        if (prior >= limit) return { ok: false, lockedUntil: null };
        const row = (await tx.get<{ id: number }>(S.attempt, [accountId, now])) as { id: number };
        return { ok: true, attemptId: Number(row.id) };
      });
    },

    /** The password was right: the attempt does not count as a failure. */
    async forgetLoginAttempt(attemptId: number): Promise<void> {
      await sql.run(S.forgetAttempt, [attemptId]);
    },

    /** After a wrong password: how many attempts the window holds now, this one included. */
    loginFailuresSince: (accountId: number, since: number): Promise<number> => failuresSince(sql, accountId, since),

    async lockAccount(accountId: number, until: number): Promise<void> {
      await sql.run(S.lock, [until, accountId]);
      changedBy(sql);
    },

    /** A right password: the counted attempts and any lock are cleared. */
    async loginSucceeded(accountId: number): Promise<void> {
      await sql.transaction(async (tx) => {
        await tx.run(S.forgetAttempts, [accountId]);
        await tx.run(S.lock, [null, accountId]);
        changedBy(tx);
      });
    },
  };
}
