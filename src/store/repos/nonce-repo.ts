import type { Store } from "../database.js";

/** One nonce to remember: the account that sent it and when the gateway saw it. */
export type NonceSighting = { accountId: number; nonce: string; seenAt: number };

/** Expired nonces removed per statement, so one prune never holds the event loop or the write lock long. */
const PRUNE_CHUNK_ROWS = 2_000;

/**
 * The replay store of §2.2: a nonce may be used once per account within the memory window.
 * A unique index makes "seen before?" and "remember it" one statement.
 */
export type NonceRepo = ReturnType<typeof createNonceRepo>;

export function createNonceRepo(store: Store) {
  const insert = store.sqlite.prepare(
    "INSERT INTO request_nonces (account_id, nonce, seen_at) VALUES (?, ?, ?) " +
      "ON CONFLICT (account_id, nonce) DO UPDATE SET seen_at = excluded.seen_at WHERE request_nonces.seen_at < ?",
  );
  // PostgreSQL has no rowid; the unique (account_id, nonce) index finds each row of the chunk.
  const pruneChunk = store.sqlite.prepare(
    store.dialect === "postgres"
      ? "DELETE FROM request_nonces WHERE (account_id, nonce) IN (SELECT account_id, nonce FROM request_nonces WHERE seen_at < ? LIMIT ?)"
      : "DELETE FROM request_nonces WHERE rowid IN (SELECT rowid FROM request_nonces WHERE seen_at < ? LIMIT ?)",
  );
  // One write transaction for a whole batch: the group commit of the replay guard.
  const rememberEach = store.sqlite.transaction((sightings: readonly NonceSighting[], memoryMs: number): boolean[] =>
    sightings.map((s) => insert.run(s.accountId, s.nonce, s.seenAt, s.seenAt - memoryMs).changes === 1),
  );
  const rememberAll =
    store.dialect === "postgres"
      ? rememberInOneStatement(store)
      : (sightings: readonly NonceSighting[], memoryMs: number) => rememberEach.immediate(sightings, memoryMs);
  return {
    /** True when the nonce is fresh (and is now remembered); false when it was used within the window. */
    remember(accountId: number, nonce: string, now: number, memoryMs: number): boolean {
      return insert.run(accountId, nonce, now, now - memoryMs).changes === 1;
    },
    /** remember() for many nonces in one transaction; one answer per sighting, in order. */
    rememberAll(sightings: readonly NonceSighting[], memoryMs: number): boolean[] {
      return rememberAll(sightings, memoryMs);
    },
    /** Removes at most one chunk of nonces seen before `cutoff`; the count removed (less than a chunk: done). */
    pruneChunkBefore(cutoff: number): number {
      return pruneChunk.run(cutoff, PRUNE_CHUNK_ROWS).changes;
    },
    pruneBefore(cutoff: number): number {
      let removed = 0;
      for (let n = PRUNE_CHUNK_ROWS; n === PRUNE_CHUNK_ROWS; removed += n) n = pruneChunk.run(cutoff, PRUNE_CHUNK_ROWS).changes;
      return removed;
    },
  };
}

/*
 * On PostgreSQL the batch is one statement, one round trip: atomic without a transaction, and a
 * nonce another instance is inserting at the same moment waits for that commit and then counts as
 * seen, where a SERIALIZABLE batch would fail and start again. A row comes back when its nonce was
 * new or last seen before the window.
 */
function rememberInOneStatement(store: Store): (sightings: readonly NonceSighting[], memoryMs: number) => boolean[] {
  const statement = store.sqlite.prepare(
    "INSERT INTO request_nonces (account_id, nonce, seen_at) " +
      "SELECT account_id, nonce, seen_at FROM unnest(?::int[], ?::text[], ?::bigint[]) WITH ORDINALITY AS b (account_id, nonce, seen_at, n) ORDER BY n " +
      "ON CONFLICT (account_id, nonce) DO UPDATE SET seen_at = excluded.seen_at WHERE request_nonces.seen_at < excluded.seen_at - ? " +
      "RETURNING account_id, nonce",
  );
  return (sightings, memoryMs) => {
    // A statement may touch a row once: a nonce twice in one batch is fresh only the first time, as in SQLite's loop.
    const firstAt = new Map<string, number>();
    sightings.forEach((s, i) => {
      if (!firstAt.has(keyOf(s))) firstAt.set(keyOf(s), i);
    });
    if (firstAt.size === 0) return [];
    // One order for every instance's batches, so two batches sharing nonces never wait on each other in a cycle.
    const batch = [...firstAt.values()]
      .map((i) => sightings[i] as NonceSighting)
      .sort((a, b) => a.accountId - b.accountId || (a.nonce < b.nonce ? -1 : a.nonce > b.nonce ? 1 : 0));
    const rows = statement.all(
      batch.map((s) => s.accountId),
      batch.map((s) => s.nonce),
      batch.map((s) => s.seenAt),
      memoryMs,
    ) as Array<{ account_id: number; nonce: string }>;
    const fresh = new Set(rows.map((r) => keyOf({ accountId: r.account_id, nonce: r.nonce })));
    return sightings.map((s, i) => firstAt.get(keyOf(s)) === i && fresh.has(keyOf(s)));
  };
}

function keyOf(s: { accountId: number; nonce: string }): string {
  return `${s.accountId}\u0000${s.nonce}`;
}
