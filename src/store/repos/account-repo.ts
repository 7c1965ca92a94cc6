import { and, count, eq, gte, sql } from "drizzle-orm";
import type { Store } from "../database.js";
import { withTransaction } from "../database.js";
import { statementFor } from "../sql/placeholders.js";
import { selectColumns } from "./row-sql.js";
import { loginFailures, mallAccounts, suppliers } from "../schema/index.js";

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

/** Suppliers and the mall accounts issued to them. The only module with SQL about either. */
export type AccountRepo = ReturnType<typeof createAccountRepo>;

export function createAccountRepo(store: Store) {
  const { db } = store;
  // Every signed call reads its account: one statement on the asynchronous store, written for its
  // database, without the builder's mapping (quoted aliases keep their case on PostgreSQL).
  const byId = statementFor(store.dialect)((p) => `SELECT ${selectColumns(mallAccounts)} FROM mall_accounts WHERE id = ${p()}`);
  const byUsername = db
    .select()
    .from(mallAccounts)
    .where(eq(mallAccounts.username, sql.placeholder("username")))
    .prepare();
  const supplierById = db
    .select()
    .from(suppliers)
    .where(eq(suppliers.id, sql.placeholder("id")))
    .prepare();
  const failuresSince = db
    .select({ n: count() })
    .from(loginFailures)
    .where(and(eq(loginFailures.accountId, sql.placeholder("accountId")), gte(loginFailures.at, sql.placeholder("since"))))
    .prepare();

  return {
    accountById: (id: number): Promise<AccountRow | undefined> => store.sql.get<AccountRow>(byId, [id]),
    accountByUsername: (username: string): AccountRow | undefined => byUsername.get({ username }),
    supplierById: (id: number): SupplierRow | undefined => supplierById.get({ id }),
    supplierByCode: (code: string): SupplierRow | undefined => db.select().from(suppliers).where(eq(suppliers.code, code)).get(),
    supplierByCreditCode: (creditCode: string): SupplierRow | undefined => db.select().from(suppliers).where(eq(suppliers.creditCode, creditCode)).get(),
    accountOfSupplier: (supplierId: number): AccountRow | undefined => db.select().from(mallAccounts).where(eq(mallAccounts.supplierId, supplierId)).get(),

    createSupplierWithAccount(supplier: NewSupplier, account: NewAccount): { supplier: SupplierRow; account: AccountRow } {
      return withTransaction(store, () => {
        const s = db
          .insert(suppliers)
          .values({ ...supplier, domainsJson: JSON.stringify(supplier.domains) })
          .returning()
          .get();
        const a = db
          .insert(mallAccounts)
          .values({ ...account, supplierId: s.id })
          .returning()
          .get();
        return { supplier: s, account: a };
      });
    },

    listSuppliers(): Array<{ supplier: SupplierRow; account: AccountRow | undefined }> {
      const rows = db.select().from(suppliers).leftJoin(mallAccounts, eq(mallAccounts.supplierId, suppliers.id)).orderBy(suppliers.code).all();
      return rows.map((r) => ({ supplier: r.suppliers, account: r.mall_accounts ?? undefined }));
    },

    /** Rotation bumps credentialsVersion so every token issued before dies (§2.1). */
    rotateCredentials(accountId: number, change: { passwordHash?: string; appSecretEnc?: string }, now: number): AccountRow | undefined {
      return db
        .update(mallAccounts)
        .set({ ...change, credentialsVersion: sql`${mallAccounts.credentialsVersion} + 1`, lockedUntil: null, updatedAt: now })
        .where(eq(mallAccounts.id, accountId))
        .returning()
        .get();
    },

    setStatus(supplierId: number, status: AccountStatus, now: number): void {
      withTransaction(store, () => {
        db.update(suppliers).set({ status, updatedAt: now }).where(eq(suppliers.id, supplierId)).run();
        db.update(mallAccounts)
          .set({ status, credentialsVersion: sql`${mallAccounts.credentialsVersion} + 1`, updatedAt: now })
          .where(eq(mallAccounts.supplierId, supplierId))
          .run();
      });
    },

    /**
     * A changed mode bumps credentialsVersion: an hmac token presented under yggc-md5 would be a
     * bearer token needing no signature, so every token issued under the old mode must die.
     */
    setSignMode(accountId: number, signMode: SignModeValue, now: number): void {
      db.update(mallAccounts)
        .set({ signMode, credentialsVersion: sql`${mallAccounts.credentialsVersion} + 1`, updatedAt: now })
        .where(and(eq(mallAccounts.id, accountId), sql`${mallAccounts.signMode} <> ${signMode}`))
        .run();
    },

    /**
     * Counts a login attempt before its password is verified, in one IMMEDIATE transaction: with
     * `limit` attempts already in the window (failed or still in flight) or the account locked, it
     * refuses, so parallel attempts never get more verifications than the lockout allows. The row
     * stays as a failure unless `loginSucceeded` clears it.
     */
    beginLoginAttempt(
      accountId: number,
      now: number,
      windowMs: number,
      limit: number,
    ): { ok: true; attemptId: number } | { ok: false; lockedUntil: number | null } {
      return withTransaction(store, () => {
        const lockedUntil =
          db.select({ lockedUntil: mallAccounts.lockedUntil }).from(mallAccounts).where(eq(mallAccounts.id, accountId)).get()?.lockedUntil ?? null;
        if (lockedUntil !== null && lockedUntil > now) return { ok: false, lockedUntil };
        const prior = failuresSince.get({ accountId, since: now - windowMs })?.n ?? 0;
        if (prior >= limit) return { ok: false, lockedUntil: null };
        const row = db.insert(loginFailures).values({ accountId, at: now }).returning({ id: loginFailures.id }).get();
        return { ok: true, attemptId: row.id };
      });
    },

    /** The password was right: the attempt does not count as a failure. */
    forgetLoginAttempt: (attemptId: number): void => void db.delete(loginFailures).where(eq(loginFailures.id, attemptId)).run(),

    /** After a wrong password: how many attempts the window holds now, this one included. */
    loginFailuresSince: (accountId: number, since: number): number => failuresSince.get({ accountId, since })?.n ?? 0,

    lockAccount(accountId: number, until: number): void {
      db.update(mallAccounts).set({ lockedUntil: until }).where(eq(mallAccounts.id, accountId)).run();
    },

    /** A right password: the counted attempts and any lock are cleared. */
    loginSucceeded(accountId: number): void {
      withTransaction(store, () => {
        db.delete(loginFailures).where(eq(loginFailures.accountId, accountId)).run();
        db.update(mallAccounts).set({ lockedUntil: null }).where(eq(mallAccounts.id, accountId)).run();
      });
    },
  };
}
