import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Store } from "../database.js";
import { statementFor } from "../sql/placeholders.js";
import { MIGRATIONS_FOLDER, PG_MIGRATIONS_FOLDER } from "../database.js";
import { OPEN_STATES } from "./order-repo.js";

export type InboxGauge = { supplier: string; pending: number; quarantined: number };
export type OrderStateGauge = { state: string; orders: number; oldestUpdatedAt: number };
export type LeaseGauge = { kind: "sync" | "order"; holder: string; leases: number };
export type MigrationStatus = { applied: number; expected: number; current: boolean; latest: string | null };

/**
 * What operators watch, read at scrape time from the store itself (so every instance reports the
 * same truth, and a restart loses nothing): inbox backlog and quarantine, orders by state, leases.
 */
export function createOpsRepo(store: Store) {
  const { sql } = store;
  const statement = statementFor(store.dialect);
  // Statements on the asynchronous store, written for their database: a scrape or a readiness probe
  // never holds the event loop, and never waits long on a database that is away.
  const S = {
    inbox:
      "SELECT s.code AS supplier, " +
      "COALESCE(SUM(CASE WHEN i.status = 'pending' THEN 1 ELSE 0 END), 0) AS pending, " +
      "COALESCE(SUM(CASE WHEN i.status = 'quarantined' THEN 1 ELSE 0 END), 0) AS quarantined " +
      "FROM supplier_connections c JOIN suppliers s ON s.id = c.supplier_id " +
      "LEFT JOIN message_inbox i ON i.supplier_id = c.supplier_id AND i.status IN ('pending', 'quarantined') " +
      "GROUP BY s.code",
    orderStates: 'SELECT state, COUNT(*) AS orders, MIN(updated_at) AS "oldestUpdatedAt" FROM orders GROUP BY state',
    syncLeases: statement((p) => `SELECT holder FROM sync_leases WHERE expires_at > ${p()}`),
    orderLeases: statement(
      (p) => `SELECT lease_owner AS holder, COUNT(*) AS leases FROM orders WHERE lease_owner IS NOT NULL AND lease_until > ${p()} GROUP BY lease_owner`,
    ),
    dropSyncLeases: statement((p) => `DELETE FROM sync_leases WHERE substr(holder, 1, length(${p()})) = ${p()}`),
    dropOrderLeases: statement((p) => `UPDATE orders SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = ${p()}`),
    // drizzle's pg migrator keeps its ledger in the `drizzle` schema, and each dialect ships its own journal.
    appliedMigrations: `SELECT created_at AS "createdAt" FROM ${store.dialect === "postgres" ? "drizzle.__drizzle_migrations" : "__drizzle_migrations"} ORDER BY created_at`,
  };
  const journalFile = join(store.dialect === "postgres" ? PG_MIGRATIONS_FOLDER : MIGRATIONS_FOLDER, "meta", "_journal.json");
  const journal = JSON.parse(readFileSync(journalFile, "utf8")) as { entries: Array<{ when: number; tag: string }> };
  const numbers = <R extends Record<string, unknown>>(rows: R[], keys: ReadonlyArray<keyof R>): R[] =>
    rows.map((r) => ({ ...r, ...Object.fromEntries(keys.map((k) => [k, Number(r[k])])) }));

  return {
    inbox: async (): Promise<InboxGauge[]> => numbers(await sql.all<InboxGauge>(S.inbox), ["pending", "quarantined"]),
    orderStates: async (): Promise<OrderStateGauge[]> => numbers(await sql.all<OrderStateGauge>(S.orderStates), ["orders", "oldestUpdatedAt"]),
    /** States an order still moves out of on its own; the others wait for nobody, however old. */
    openOrderStates: OPEN_STATES as readonly string[],
    async leases(now: number): Promise<LeaseGauge[]> {
      const out: LeaseGauge[] = [];
      const sync = new Map<string, number>();
      // A sync holder is `host:pid:runId`; the instance is what operators count.
      for (const { holder } of await sql.all<{ holder: string }>(S.syncLeases, [now])) {
        const instance = holder.split(":").slice(0, 2).join(":");
        sync.set(instance, (sync.get(instance) ?? 0) + 1);
      }
      for (const [holder, leases] of sync) out.push({ kind: "sync", holder, leases });
      for (const row of await sql.all<{ holder: string; leases: number }>(S.orderLeases, [now]))
        out.push({ kind: "order", holder: row.holder, leases: Number(row.leases) });
      return out;
    },
    /**
     * A stopping process gives back what it still holds, so another instance (or this one restarted)
     * takes over at once instead of after the lease period. Writes are fenced by the lease, so
     * anything the old holder still tries to commit afterwards lands nowhere.
     */
    async releaseLeasesOf(syncInstance: string, orderOwner: string | null): Promise<{ sync: number; orders: number }> {
      const prefix = `${syncInstance}:`;
      const sync = await sql.run(S.dropSyncLeases, [prefix, prefix]);
      const orders = orderOwner === null ? 0 : await sql.run(S.dropOrderLeases, [orderOwner]);
      return { sync, orders };
    },
    /** Migrations are current when the store has applied every one this build ships, in order. */
    async migrations(): Promise<MigrationStatus> {
      const applied = (await sql.all<{ createdAt: number }>(S.appliedMigrations)).map((r) => Number(r.createdAt));
      const expected = journal.entries.map((e) => e.when);
      const current = applied.length === expected.length && expected.every((when, i) => applied[i] === when);
      return { applied: applied.length, expected: expected.length, current, latest: journal.entries.at(-1)?.tag ?? null };
    },
  };
}

export type OpsRepo = ReturnType<typeof createOpsRepo>;
