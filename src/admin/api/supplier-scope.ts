import type { AccountRepo } from "../../store/repos/account-repo.js";
import type { AdminUserRow } from "../../store/repos/admin-repo.js";
import { AdminError } from "../admin-errors.js";

/** The one supplier a `supplier` user may read; staff have none and read what they ask for. */
export type SupplierScope = { supplierId: number; code: string };

export async function scopeOf(user: AdminUserRow | undefined, accounts: Pick<AccountRepo, "supplierById">): Promise<SupplierScope | undefined> {
  if (user?.role !== "supplier") return undefined;
  const supplier = user.supplierId === null ? undefined : await accounts.supplierById(user.supplierId);
  if (!supplier) throw new AdminError("forbidden", `supplier user ${user.username} is bound to no supplier`);
  return { supplierId: supplier.id, code: supplier.code };
}

/**
 * The supplier code a list, filter or download reads. A supplier user always reads its own; naming
 * another answers exactly as an unknown code does, so a guess learns nothing, not even existence.
 */
export function scopedSupplier(scope: SupplierScope | undefined, asked: string | undefined): string | undefined {
  if (!scope) return asked;
  if (asked !== undefined && asked !== scope.code) throw new AdminError("not_found", `no supplier with code ${asked}`);
  return scope.code;
}

/** A row found by id (run, message, order) outside the caller's scope is answered as missing. */
export function requireInScope(scope: SupplierScope | undefined, supplierId: number, missing: string): void {
  if (scope && scope.supplierId !== supplierId) throw new AdminError("not_found", missing);
}
