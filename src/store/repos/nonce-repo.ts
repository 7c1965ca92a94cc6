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
  const pruneChunk = store.sqlite.prepare(
    "DELETE FROM request_nonces WHERE rowid IN (SELECT rowid FROM request_nonces WHERE seen_at < ? LIMIT ?)",
  );
  // One write transaction for a whole batch: the group commit of the replay guard.
  const rememberAll = store.sqlite.transaction((sightings: readonly NonceSighting[], memoryMs: number): boolean[] =>
    sightings.map((s) => insert.run(s.accountId, s.nonce, s.seenAt, s.seenAt - memoryMs).changes === 1),
  );
  return {
    /** True when the nonce is fresh (and is now remembered); false when it was used within the window. */
    remember(accountId: number, nonce: string, now: number, memoryMs: number): boolean {
      return insert.run(accountId, nonce, now, now - memoryMs).changes === 1;
    },
    /** remember() for many nonces in one transaction; one answer per sighting, in order. */
    rememberAll(sightings: readonly NonceSighting[], memoryMs: number): boolean[] {
      return rememberAll.immediate(sightings, memoryMs);
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
