import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Store } from "../database.js";
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
  const { connection: sqlite } = store;
  const inbox = sqlite.prepare(
    "SELECT s.code AS supplier, " +
      "COALESCE(SUM(CASE WHEN i.status = 'pending' THEN 1 ELSE 0 END), 0) AS pending, " +
      "COALESCE(SUM(CASE WHEN i.status = 'quarantined' THEN 1 ELSE 0 END), 0) AS quarantined " +
      "FROM supplier_connections c JOIN suppliers s ON s.id = c.supplier_id " +
      "LEFT JOIN message_inbox i ON i.supplier_id = c.supplier_id AND i.status IN ('pending', 'quarantined') " +
      "GROUP BY s.code",
  );
  const orderStates = sqlite.prepare("SELECT state, COUNT(*) AS orders, MIN(updated_at) AS oldestUpdatedAt FROM orders GROUP BY state");
  const syncLeases = sqlite.prepare("SELECT holder FROM sync_leases WHERE expires_at > ?").pluck();
  const orderLeases = sqlite.prepare(
    "SELECT lease_owner AS holder, COUNT(*) AS leases FROM orders WHERE lease_owner IS NOT NULL AND lease_until > ? GROUP BY lease_owner",
  );
  const ping = sqlite.prepare("SELECT 1").pluck();
  const dropSyncLeases = sqlite.prepare("DELETE FROM sync_leases WHERE substr(holder, 1, length(?)) = ?");
  const dropOrderLeases = sqlite.prepare("UPDATE orders SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = ?");
  // drizzle's pg migrator keeps its ledger in the `drizzle` schema, and each dialect ships its own journal.
  const onPostgres = store.dialect === "postgres";
  const appliedMigrations = sqlite
    .prepare(`SELECT created_at FROM ${onPostgres ? "drizzle.__drizzle_migrations" : "__drizzle_migrations"} ORDER BY created_at`)
    .pluck();
  const journalFile = join(onPostgres ? PG_MIGRATIONS_FOLDER : MIGRATIONS_FOLDER, "meta", "_journal.json");
  const journal = JSON.parse(readFileSync(journalFile, "utf8")) as { entries: Array<{ when: number; tag: string }> };

  return {
    inbox: (): InboxGauge[] => inbox.all() as InboxGauge[],
    orderStates: (): OrderStateGauge[] => orderStates.all() as OrderStateGauge[],
    /** States an order still moves out of on its own; the others wait for nobody, however old. */
    openOrderStates: OPEN_STATES as readonly string[],
    leases(now: number): LeaseGauge[] {
      const out: LeaseGauge[] = [];
      const sync = new Map<string, number>();
      // A sync holder is `host:pid:runId`; the instance is what operators count.
      for (const holder of syncLeases.all(now) as string[]) {
        const instance = holder.split(":").slice(0, 2).join(":");
        sync.set(instance, (sync.get(instance) ?? 0) + 1);
      }
      for (const [holder, leases] of sync) out.push({ kind: "sync", holder, leases });
      for (const row of orderLeases.all(now) as Array<{ holder: string; leases: number }>) out.push({ kind: "order", ...row });
      return out;
    },
    /**
     * A stopping process gives back what it still holds, so another instance (or this one restarted)
     * takes over at once instead of after the lease period. Writes are fenced by the lease, so
     * anything the old holder still tries to commit afterwards lands nowhere.
     */
    releaseLeasesOf(syncInstance: string, orderOwner: string | null): { sync: number; orders: number } {
      const prefix = `${syncInstance}:`;
      const sync = dropSyncLeases.run(prefix, prefix).changes;
      const orders = orderOwner === null ? 0 : dropOrderLeases.run(orderOwner).changes;
      return { sync, orders };
    },
    /** Throws when the database cannot be read. */
    ping: (): boolean => ping.get() === 1,
    /** Migrations are current when the store has applied every one this build ships, in order. */
    migrations(): MigrationStatus {
      const applied = appliedMigrations.all() as number[];
      const expected = journal.entries.map((e) => e.when);
      const current = applied.length === expected.length && expected.every((when, i) => applied[i] === when);
      return { applied: applied.length, expected: expected.length, current, latest: journal.entries.at(-1)?.tag ?? null };
    },
  };
}

export type OpsRepo = ReturnType<typeof createOpsRepo>;
