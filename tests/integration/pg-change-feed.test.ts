import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type PgStore, openPgStore } from "../../src/store/database.js";
import { type AccountRepo, createAccountRepo } from "../../src/store/repos/account-repo.js";
import { type ReferenceRepo, createReferenceRepo } from "../../src/store/repos/reference-repo.js";
import { useThrowawayCluster } from "../helpers/pg-cluster.js";
import { waitFor } from "../helpers/wait.js";

/**
 * Two instances on one PostgreSQL database: `served` listens for changes and keeps accounts and the
 * reference revision in memory, `other` writes (another gateway, the CLI). What `served` keeps is
 * proved kept by a write that tells no one (triggers off for that session), and proved dropped by
 * every write that does.
 */
const cluster = useThrowawayCluster();

let served: PgStore;
let other: PgStore;
let servedAccounts: AccountRepo;
let otherAccounts: AccountRepo;
let servedReference: ReferenceRepo;
let accountId: number;
const states: Array<{ live: boolean; reason?: string }> = [];

/** A statement in a session of its own; `silent` turns the session's triggers off, so it notifies no one. */
async function sqlOnce(text: string, values: unknown[] = [], silent = false): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: cluster().url });
  await client.connect();
  try {
    if (silent) await client.query("SET session_replication_role = replica");
    return await client.query(text, values);
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  served = await openPgStore(cluster().url, { onChangeFeed: (s) => states.push(s) });
  other = await openPgStore(cluster().url);
  servedAccounts = createAccountRepo(served.sql);
  otherAccounts = createAccountRepo(other.sql);
  servedReference = createReferenceRepo(served.sql);
  const { account } = await otherAccounts.createSupplierWithAccount(
    { code: "FEED01", name: "变更供应商", creditCode: "91120116000000001X", contactNameEnc: null, contactPhoneEnc: null, domains: [] },
    { username: "feed01", passwordHash: "h", appSecretEnc: "s", signMode: "hmac-sha256" },
  );
  accountId = account.id;
  await sqlOnce("INSERT INTO store_meta (key, value) VALUES ('reference_revision', '1') ON CONFLICT (key) DO NOTHING");
  served.sql.changes.watch();
  await waitFor("the listener", () => served.sql.changes.live, 10_000);
}, 60_000);

afterAll(async () => {
  served?.close();
  other?.close();
});

describe("the change feed on PostgreSQL", () => {
  it("keeps an account read while nothing is told, and drops it when another instance changes it", async () => {
    const first = await servedAccounts.accountById(accountId);
    expect(first?.status).toBe("active");
    // Untold: served still answers what it kept, so the second read did not go to the database.
    await sqlOnce("UPDATE mall_accounts SET updated_at = 12345 WHERE id = $1", [accountId], true);
    expect((await servedAccounts.accountById(accountId))?.updatedAt).toBe(first?.updatedAt);
    // Told: another instance disables the supplier; served sees it without asking.
    await otherAccounts.setStatus((first as { supplierId: number }).supplierId, "disabled", Date.now());
    const seen = await waitFor(
      "served sees the disabled account",
      async () => {
        const row = await servedAccounts.accountById(accountId);
        return row?.status === "disabled" ? row : null;
      },
      5_000,
    );
    expect(seen.updatedAt).not.toBe(12345);
    await otherAccounts.setStatus(seen.supplierId, "active", Date.now());
    await waitFor("served sees it active again", async () => (await servedAccounts.accountById(accountId))?.status === "active", 5_000);
  });

  it("drops a kept account at once after its own process rotates it, before any notification can arrive", async () => {
    const before = await servedAccounts.accountById(accountId);
    // No notification can help: the trigger is off while the rotation commits (the listener, already
    // listening, checks triggers only when it connects), so only the process's own drop can show it.
    await sqlOnce("ALTER TABLE mall_accounts DISABLE TRIGGER mall_accounts_changed");
    try {
      await servedAccounts.rotateCredentials(accountId, { passwordHash: "h2" }, Date.now());
    } finally {
      await sqlOnce("ALTER TABLE mall_accounts ENABLE TRIGGER mall_accounts_changed");
    }
    expect(served.sql.changes.live).toBe(true);
    expect((await servedAccounts.accountById(accountId))?.credentialsVersion).toBe((before?.credentialsVersion ?? 0) + 1);
  });

  it("hears a write by hand (psql): the trigger tells, whoever wrote", async () => {
    const kept = await servedReference.revision();
    await sqlOnce("INSERT INTO store_meta (key, value) VALUES ('reference_revision', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value", [
      String(kept + 7),
    ]);
    await waitFor("served reads the new revision", async () => (await servedReference.revision()) === kept + 7, 5_000);
  });

  it("a transaction that rolls back tells no one; a committed one tells after its commit", async () => {
    const kept = await servedReference.revision();
    await expect(
      other.sql.transaction(async (tx) => {
        await tx.run("UPDATE store_meta SET value = $1 WHERE key = 'reference_revision'", [String(kept + 100)]);
        throw new Error("abandoned");
      }),
    ).rejects.toThrow("abandoned");
    // Untold and unchanged; a silent write proves served still answers from memory.
    await sqlOnce("UPDATE store_meta SET value = $1 WHERE key = 'reference_revision'", [String(kept + 50)], true);
    expect(await servedReference.revision()).toBe(kept);
    await other.sql.transaction(async (tx) => {
      await tx.run("UPDATE store_meta SET value = $1 WHERE key = 'reference_revision'", [String(kept + 1)]);
    });
    await waitFor("served reads the committed revision", async () => (await servedReference.revision()) === kept + 1, 5_000);
  });

  it("reads through while its listener is gone, and keeps again once it listens anew", async () => {
    const kept = await servedReference.revision();
    await sqlOnce("UPDATE store_meta SET value = $1 WHERE key = 'reference_revision'", [String(kept + 1)], true);
    expect(await servedReference.revision()).toBe(kept);
    const ended = await sqlOnce("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'emall-gateway changes'");
    expect(ended.rowCount).toBe(1);
    // Lost: what was kept is dropped, and the silent write shows.
    await waitFor("the listener is lost", () => states.some((s) => !s.live), 5_000);
    expect(await servedReference.revision()).toBe(kept + 1);
    await waitFor("the listener is back", () => served.sql.changes.live, 10_000);
    expect(states.at(-1)).toEqual({ live: true });
    // Listening again: kept anew, and told of the next change.
    expect(await servedReference.revision()).toBe(kept + 1);
    await sqlOnce("UPDATE store_meta SET value = $1 WHERE key = 'reference_revision'", [String(kept + 2)], true);
    expect(await servedReference.revision()).toBe(kept + 1);
    await other.sql.run("UPDATE store_meta SET value = $1 WHERE key = 'reference_revision'", [String(kept + 3)]);
    await waitFor("told again", async () => (await servedReference.revision()) === kept + 3, 5_000);
  });

  it("keeps nothing while one of its triggers is disabled, since a change could go untold", async () => {
    await sqlOnce("ALTER TABLE mall_accounts DISABLE TRIGGER mall_accounts_changed");
    try {
      await sqlOnce("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'emall-gateway changes'");
      await waitFor("the listener is lost", () => !served.sql.changes.live, 5_000);
      // It tries to listen again (after 0.25 s, then 0.5 s, 1 s…), finds the trigger disabled and
      // stays down through several tries.
      for (const until = Date.now() + 2_000; Date.now() < until; await new Promise((r) => setTimeout(r, 25))) expect(served.sql.changes.live).toBe(false);
      const before = (await servedAccounts.accountById(accountId))?.updatedAt;
      await sqlOnce("UPDATE mall_accounts SET updated_at = $1 WHERE id = $2", [(before ?? 0) + 1, accountId], true);
      expect((await servedAccounts.accountById(accountId))?.updatedAt).toBe((before ?? 0) + 1);
      expect(served.sql.changes.live).toBe(false);
    } finally {
      await sqlOnce("ALTER TABLE mall_accounts ENABLE TRIGGER mall_accounts_changed");
    }
    await waitFor("listening again once the trigger is back", () => served.sql.changes.live, 15_000);
  }, 30_000);

  it("a store that does not listen reads every time", async () => {
    expect(other.sql.changes.live).toBe(false);
    const kept = await createReferenceRepo(other.sql).revision();
    await sqlOnce("UPDATE store_meta SET value = $1 WHERE key = 'reference_revision'", [String(kept + 1)], true);
    expect(await createReferenceRepo(other.sql).revision()).toBe(kept + 1);
  });
});
