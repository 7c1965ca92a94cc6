import { z } from "zod";
import { hashPassword, verifyPassword } from "../security/password-hash.js";
import type { AccountRepo } from "../store/repos/account-repo.js";
import { type AdminRepo, type AdminRole, type AdminUserRow } from "../store/repos/admin-repo.js";
import type { SqlStore, Transaction } from "../store/sql/sql-store.js";
import { adminRoles } from "../store/schema/index.js";
import { AdminError } from "./admin-errors.js";

export const Username = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9_.-]{3,32}$/, "3–32 of [A-Za-z0-9_.-]");
/** Long enough to resist guessing within the lockout; no composition rules (NIST SP 800-63B). */
export const NewPassword = z.string().min(12, "at least 12 characters").max(200);
export const Role = z.enum(adminRoles);
export const SupplierCode = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9_-]{2,32}$/, "2–32 of [A-Za-z0-9_-]");

export type AdminUserView = {
  username: string;
  role: AdminRole;
  supplier: string | null;
  status: AdminUserRow["status"];
  createdAt: number;
  updatedAt: number;
};

/** A hash verified when the username is unknown, so a login takes as long either way. */
const DUMMY_HASH = "scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

export type AdminUsers = ReturnType<typeof createAdminUsers>;

/**
 * Console users: created by CLI or an admin, scrypt hashes, every session ended on a change.
 * `transaction` runs create() and update() (the prepared writes alone) in one transaction.
 */
export function createAdminUsers(repo: AdminRepo, accounts: AccountRepo, clock: () => number, transaction: SqlStore["transaction"]) {
  /** `codes`: the code of each supplier the user may be bound to, read before (a supplier's code never changes). */
  const viewWith = (u: AdminUserRow, codes: ReadonlyMap<number, string>): AdminUserView => ({
    username: u.username,
    role: u.role,
    supplier: u.supplierId === null ? null : (codes.get(u.supplierId) ?? String(u.supplierId)),
    status: u.status,
    createdAt: u.createdAt,
    updatedAt: u.updatedAt,
  });
  const codesOf = async (ids: ReadonlyArray<number | null>): Promise<Map<number, string>> => {
    const codes = new Map<number, string>();
    for (const id of ids) {
      const supplier = id === null || codes.has(id) ? undefined : await accounts.supplierById(id);
      if (supplier) codes.set(supplier.id, supplier.code);
    }
    return codes;
  };
  const userView = async (u: AdminUserRow): Promise<AdminUserView> => viewWith(u, await codesOf([u.supplierId]));

  /** A supplier user belongs to exactly one supplier; staff to none. */
  const bindingOf = async (role: AdminRole, supplierCode: string | undefined): Promise<number | null> => {
    if (role !== "supplier") {
      if (supplierCode !== undefined)
        throw new AdminError("invalid_input", `only a supplier user is bound to a supplier; role ${role} takes no supplier`, [
          { field: "body.supplier", message: "only for role supplier" },
        ]);
      return null;
    }
    if (supplierCode === undefined)
      throw new AdminError("invalid_input", "a supplier user needs the supplier it belongs to", [
        { field: "body.supplier", message: "required for role supplier" },
      ]);
    const supplier = await accounts.supplierByCode(supplierCode);
    if (!supplier) throw new AdminError("not_found", `no supplier with code ${supplierCode}`);
    return supplier.id;
  };
  const mustFind = async (username: string, tx?: Transaction): Promise<AdminUserRow> => {
    const u = await repo.userByUsername(username, tx);
    if (!u) throw new AdminError("not_found", `no user ${username}`);
    return u;
  };

  const users = {
    list: async (): Promise<AdminUserView[]> => {
      const rows = await repo.listUsers();
      const codes = await codesOf(rows.map((u) => u.supplierId));
      return rows.map((u) => viewWith(u, codes));
    },
    show: async (username: string): Promise<AdminUserView> => userView(await mustFind(username)),
    byId: (id: number) => repo.userById(id),

    /**
     * Hashes first (slow, async), then returns the store write, so a caller can run it in one
     * transaction (`tx`) with the audit row that records it. The write reads what it decides on
     * through `tx` and may run more than once.
     */
    async prepareCreate(input: {
      username: string;
      role: AdminRole;
      password: string;
      supplier?: string;
    }): Promise<(tx: Transaction) => Promise<AdminUserView>> {
      const supplierId = await bindingOf(input.role, input.supplier);
      if (await repo.userByUsername(input.username)) throw new AdminError("conflict", `user ${input.username} exists`);
      const codes = await codesOf([supplierId]);
      const passwordHash = await hashPassword(input.password);
      return async (tx) => {
        if (await repo.userByUsername(input.username, tx)) throw new AdminError("conflict", `user ${input.username} exists`);
        const now = clock();
        return viewWith(
          await repo.createUser({ username: input.username, role: input.role, supplierId, passwordHash, status: "active", createdAt: now, updatedAt: now }, tx),
          codes,
        );
      };
    },

    async create(input: { username: string; role: AdminRole; password: string; supplier?: string }): Promise<AdminUserView> {
      return transaction(await users.prepareCreate(input));
    },

    /** Role, status or password; any change ends the user's sessions. The write is returned for the caller to run in `tx`. */
    async prepareUpdate(
      username: string,
      change: { role?: AdminRole; enabled?: boolean; password?: string; supplier?: string },
    ): Promise<(tx: Transaction) => Promise<{ before: AdminUserView; after: AdminUserView }>> {
      const found = await mustFind(username);
      const role = change.role ?? found.role;
      const rebinding = change.role !== undefined || change.supplier !== undefined;
      const foundCodes = await codesOf([found.supplierId]);
      const supplierId = rebinding
        ? await bindingOf(role, change.supplier ?? (role === "supplier" && found.supplierId !== null ? foundCodes.get(found.supplierId) : undefined))
        : found.supplierId;
      const codes = await codesOf([found.supplierId, supplierId]);
      const passwordHash = change.password ? await hashPassword(change.password) : undefined;
      return async (tx) => {
        const u = await mustFind(username, tx);
        await repo.updateUser(
          u.id,
          {
            ...(change.role ? { role: change.role } : {}),
            ...(rebinding ? { supplierId } : {}),
            ...(change.enabled === undefined ? {} : { status: change.enabled ? "active" : "disabled" }),
            ...(passwordHash ? { passwordHash } : {}),
          },
          clock(),
          tx,
        );
        await repo.deleteSessionsOf(u.id, tx);
        return { before: viewWith(u, codes), after: viewWith(await mustFind(username, tx), codes) };
      };
    },

    /** Role, status or password; any change ends the user's sessions. Returns before and after. */
    async update(
      username: string,
      change: { role?: AdminRole; enabled?: boolean; password?: string; supplier?: string },
    ): Promise<{ before: AdminUserView; after: AdminUserView }> {
      return transaction(await users.prepareUpdate(username, change));
    },

    /** The user if the password is theirs and the account active; undefined otherwise. */
    async check(username: string, password: string): Promise<AdminUserRow | undefined> {
      const u = await repo.userByUsername(username);
      const ok = await verifyPassword(password, u?.passwordHash ?? DUMMY_HASH);
      return ok && u?.status === "active" ? u : undefined;
    },
  };
  return users;
}
