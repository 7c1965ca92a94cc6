import { DomainError } from "../lib/errors.js";
import { z } from "zod";
import type { SignMode } from "../contract/index.js";
import { signModes } from "../contract/index.js";
import { newSecret } from "../lib/ids.js";
import type { KeyRing } from "../security/key-ring.js";
import { hashPassword } from "../security/password-hash.js";
import { isValidCreditCode } from "../security/credit-code.js";
import type { AccountRepo, AccountRow, SupplierRow } from "../store/repos/account-repo.js";
import type { SqlRunner } from "../store/sql/sql-store.js";

/**
 * Suppliers and the mall accounts issued to them (§2): creation, rotation, disable/enable.
 * Secrets are returned once, at issue; the store keeps a scrypt hash and an AES-GCM ciphertext.
 */
export const NewSupplierInput = z.object({
  code: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9_-]{2,32}$/, "2–32 of [A-Za-z0-9_-]"),
  name: z.string().trim().min(2).max(100),
  creditCode: z.string().trim().toUpperCase().refine(isValidCreditCode, { message: "统一社会信用代码 invalid (GB 32100 check character)" }),
  domains: z
    .array(
      z
        .string()
        .trim()
        .toLowerCase()
        .regex(/^(?=.{1,253}$)([a-z0-9-]{1,63}\.)+[a-z]{2,63}$/, "a host name such as item.jd.com"),
    )
    .min(1),
  username: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9_.-]{3,64}$/)
    .optional(),
  contactName: z.string().trim().max(50).optional(),
  contactPhone: z
    .string()
    .trim()
    .regex(/^[0-9+\- ]{5,20}$/, "digits, + or -")
    .optional(),
  signMode: z.enum(signModes).default("hmac-sha256"),
});
export type NewSupplierInput = z.input<typeof NewSupplierInput>;

export type IssuedCredentials = { username: string; password?: string; appSecret?: string };

export type SupplierView = {
  code: string;
  name: string;
  creditCode: string;
  domains: string[];
  status: string;
  username: string | null;
  signMode: string | null;
  credentialsVersion: number | null;
  contactName: string | null;
  contactPhone: string | null;
};

export class AccountError extends DomainError {
  override readonly name = "AccountError";
  declare readonly kind: "invalid" | "conflict" | "not_found";
  constructor(kind: "invalid" | "conflict" | "not_found", message: string) {
    super(kind, message);
  }
}

/** §2: appSecret is at least 32 random bytes. */
const APP_SECRET_BYTES = 32;
const PASSWORD_BYTES = 18;

export type SupplierAccounts = ReturnType<typeof createSupplierAccounts>;

export function createSupplierAccounts(repo: AccountRepo, keys: KeyRing, clock: () => number = Date.now) {
  const view = (supplier: SupplierRow, account: AccountRow | undefined, reveal: boolean): SupplierView => ({
    code: supplier.code,
    name: supplier.name,
    creditCode: supplier.creditCode,
    domains: JSON.parse(supplier.domainsJson) as string[],
    status: supplier.status,
    username: account?.username ?? null,
    signMode: account?.signMode ?? null,
    credentialsVersion: account?.credentialsVersion ?? null,
    contactName: supplier.contactNameEnc ? (reveal ? keys.decrypt(supplier.contactNameEnc) : "[encrypted]") : null,
    contactPhone: supplier.contactPhoneEnc ? (reveal ? keys.decrypt(supplier.contactPhoneEnc) : "[encrypted]") : null,
  });

  const mustFind = async (code: string, tx?: SqlRunner) => {
    const supplier = await repo.supplierByCode(code, tx);
    if (!supplier) throw new AccountError("not_found", `no supplier with code ${code}`);
    const account = await repo.accountOfSupplier(supplier.id, tx);
    if (!account) throw new AccountError("not_found", `supplier ${code} has no mall account`);
    return { supplier, account };
  };

  const accounts = {
    /**
     * Checks, issues and hashes (slow, async), then returns the store write, so a caller can run it
     * in one transaction with the audit row that records it (the checks again, through `tx`).
     */
    async prepareCreate(input: NewSupplierInput): Promise<(tx?: SqlRunner) => Promise<{ supplier: SupplierView; credentials: Required<IssuedCredentials> }>> {
      const parsed = NewSupplierInput.safeParse(input);
      if (!parsed.success) {
        throw new AccountError("invalid", parsed.error.issues.map((i) => `${i.path.join(".") || "input"}: ${i.message}`).join("; "));
      }
      const s = parsed.data;
      const username = s.username ?? s.code.toLowerCase();
      const conflicts = async (tx?: SqlRunner) => {
        if (await repo.supplierByCode(s.code, tx)) throw new AccountError("conflict", `supplier code ${s.code} exists`);
        if (await repo.supplierByCreditCode(s.creditCode, tx)) throw new AccountError("conflict", `credit code ${s.creditCode} is already registered`);
        if (await repo.accountByUsername(username, tx)) throw new AccountError("conflict", `username ${username} is taken`);
      };
      await conflicts();
      const password = newSecret(PASSWORD_BYTES);
      const appSecret = newSecret(APP_SECRET_BYTES);
      const passwordHash = await hashPassword(password);
      const supplier = {
        code: s.code,
        name: s.name,
        creditCode: s.creditCode,
        domains: s.domains,
        contactNameEnc: s.contactName ? keys.encrypt(s.contactName) : null,
        contactPhoneEnc: s.contactPhone ? keys.encrypt(s.contactPhone) : null,
      };
      const account = { username, passwordHash, appSecretEnc: keys.encrypt(appSecret), signMode: s.signMode };
      return async (tx) => {
        await conflicts(tx);
        const created = await repo.createSupplierWithAccount(supplier, account, tx);
        return { supplier: view(created.supplier, created.account, false), credentials: { username, password, appSecret } };
      };
    },

    async create(input: NewSupplierInput): Promise<{ supplier: SupplierView; credentials: Required<IssuedCredentials> }> {
      return (await accounts.prepareCreate(input))();
    },

    /** New password and/or appSecret, hashed first; the returned write revokes every token issued before (§2.1). */
    async prepareRotate(code: string, what: { password: boolean; appSecret: boolean }): Promise<(tx?: SqlRunner) => Promise<IssuedCredentials>> {
      const { account } = await mustFind(code);
      const password = what.password ? newSecret(PASSWORD_BYTES) : undefined;
      const appSecret = what.appSecret ? newSecret(APP_SECRET_BYTES) : undefined;
      const passwordHash = password ? await hashPassword(password) : undefined;
      const change = { ...(passwordHash ? { passwordHash } : {}), ...(appSecret ? { appSecretEnc: keys.encrypt(appSecret) } : {}) };
      return async (tx) => {
        await repo.rotateCredentials(account.id, change, clock(), tx);
        return { username: account.username, ...(password ? { password } : {}), ...(appSecret ? { appSecret } : {}) };
      };
    },

    /** New password and/or appSecret; every token issued before is revoked (§2.1). */
    async rotate(code: string, what: { password: boolean; appSecret: boolean }): Promise<IssuedCredentials> {
      return (await accounts.prepareRotate(code, what))();
    },

    /** Reads and writes in `tx` when given (with its audit row). */
    async setEnabled(code: string, enabled: boolean, tx?: SqlRunner): Promise<SupplierView> {
      const { supplier } = await mustFind(code, tx);
      await repo.setStatus(supplier.id, enabled ? "active" : "disabled", clock(), tx);
      const after = await mustFind(code, tx);
      return view(after.supplier, after.account, false);
    },

    /** Reads and writes in `tx` when given (with its audit row). */
    async setSignMode(code: string, signMode: SignMode, tx?: SqlRunner): Promise<SupplierView> {
      const { account } = await mustFind(code, tx);
      await repo.setSignMode(account.id, signMode, clock(), tx);
      const after = await mustFind(code, tx);
      return view(after.supplier, after.account, false);
    },

    async list(): Promise<SupplierView[]> {
      return (await repo.listSuppliers()).map((r) => view(r.supplier, r.account, false));
    },

    async show(code: string, reveal: boolean, tx?: SqlRunner): Promise<SupplierView> {
      const { supplier, account } = await mustFind(code, tx);
      return view(supplier, account, reveal);
    },
  };
  return accounts;
}
