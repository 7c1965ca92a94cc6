import type { Store } from "../database.js";

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
  const prune = store.sqlite.prepare("DELETE FROM request_nonces WHERE seen_at < ?");
  return {
    /** True when the nonce is fresh (and is now remembered); false when it was used within the window. */
    remember(accountId: number, nonce: string, now: number, memoryMs: number): boolean {
      return insert.run(accountId, nonce, now, now - memoryMs).changes === 1;
    },
    pruneBefore(cutoff: number): number {
      return prune.run(cutoff).changes;
    },
  };
}
