import { eq, sql } from "drizzle-orm";
import type { Store } from "../database.js";
import { supplierConnections } from "../schema/index.js";

export type ConnectionRow = typeof supplierConnections.$inferSelect;

/** How the mall reaches each supplier: one row per connected supplier. */
export type ConnectionRepo = ReturnType<typeof createConnectionRepo>;

export function createConnectionRepo(store: Store) {
  const { db } = store;
  return {
    saveConnection(row: ConnectionRow): void {
      db.insert(supplierConnections)
        .values(row)
        .onConflictDoUpdate({ target: supplierConnections.supplierId, set: { ...row, createdAt: sql`${supplierConnections.createdAt}` } })
        .run();
    },
    connectionOf: (supplierId: number): ConnectionRow | undefined =>
      db.select().from(supplierConnections).where(eq(supplierConnections.supplierId, supplierId)).get(),
    enabledConnections: (): ConnectionRow[] => db.select().from(supplierConnections).where(eq(supplierConnections.enabled, 1)).all(),
  };
}
