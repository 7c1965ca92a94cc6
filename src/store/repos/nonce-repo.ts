import type { SqlStore } from "../sql/sql-store.js";

/** One nonce to remember: the account that sent it and when the gateway saw it. */
export type NonceSighting = { accountId: number; nonce: string; seenAt: number };

/** Expired nonces removed per statement, so one prune never holds the write lock long. */
const PRUNE_CHUNK_ROWS = 2_000;

/**
 * The replay store of §2.2: a nonce may be used once per account within the memory window.
 * A unique index makes "seen before?" and "remember it" one statement. Statements are written per
 * database: PostgreSQL has no rowid and takes a whole batch in one statement.
 */
export type NonceRepo = ReturnType<typeof createNonceRepo>;

const SQLITE = {
  remember:
    "INSERT INTO request_nonces (account_id, nonce, seen_at) VALUES (?, ?, ?) " +
    "ON CONFLICT (account_id, nonce) DO UPDATE SET seen_at = excluded.seen_at WHERE request_nonces.seen_at < ?",
  pruneChunk: "DELETE FROM request_nonces WHERE rowid IN (SELECT rowid FROM request_nonces WHERE seen_at < ? LIMIT ?)",
};

const POSTGRES = {
  remember:
    "INSERT INTO request_nonces (account_id, nonce, seen_at) VALUES ($1, $2, $3) " +
    "ON CONFLICT (account_id, nonce) DO UPDATE SET seen_at = excluded.seen_at WHERE request_nonces.seen_at < $4",
  // The unique (account_id, nonce) index finds each row of the chunk.
  pruneChunk: "DELETE FROM request_nonces WHERE (account_id, nonce) IN (SELECT account_id, nonce FROM request_nonces WHERE seen_at < $1 LIMIT $2)",
  // A row comes back when its nonce was new or last seen before the window.
  rememberBatch:
    "INSERT INTO request_nonces (account_id, nonce, seen_at) " +
    "SELECT account_id, nonce, seen_at FROM unnest($1::int[], $2::text[], $3::bigint[]) WITH ORDINALITY AS b (account_id, nonce, seen_at, n) ORDER BY n " +
    "ON CONFLICT (account_id, nonce) DO UPDATE SET seen_at = excluded.seen_at WHERE request_nonces.seen_at < excluded.seen_at - $4 " +
    "RETURNING account_id, nonce",
};

export function createNonceRepo(sql: SqlStore) {
  const statements = sql.dialect === "postgres" ? POSTGRES : SQLITE;
  const pruneChunk = (cutoff: number) => sql.run(statements.pruneChunk, [cutoff, PRUNE_CHUNK_ROWS]);
  const rememberAll =
    sql.dialect === "postgres"
      ? (sightings: readonly NonceSighting[], memoryMs: number) => rememberInOneStatement(sql, sightings, memoryMs)
      : // One write transaction for a whole batch: the group commit of the replay guard.
        (sightings: readonly NonceSighting[], memoryMs: number) =>
          sql.transaction(async (tx) => {
            const fresh: boolean[] = [];
            for (const s of sightings) fresh.push((await tx.run(SQLITE.remember, [s.accountId, s.nonce, s.seenAt, s.seenAt - memoryMs])) === 1);
            return fresh;
          });
  return {
    /** True when the nonce is fresh (and is now remembered); false when it was used within the window. */
    async remember(accountId: number, nonce: string, now: number, memoryMs: number): Promise<boolean> {
      return (await sql.run(statements.remember, [accountId, nonce, now, now - memoryMs])) === 1;
    },
    /** remember() for many nonces at once, all or none; one answer per sighting, in order. */
    rememberAll(sightings: readonly NonceSighting[], memoryMs: number): Promise<boolean[]> {
      return rememberAll(sightings, memoryMs);
    },
    /** Removes at most one chunk of nonces seen before `cutoff`; the count removed (less than a chunk: done). */
    pruneChunkBefore(cutoff: number): Promise<number> {
      return pruneChunk(cutoff);
    },
    async pruneBefore(cutoff: number): Promise<number> {
      let removed = 0;
      for (let n = PRUNE_CHUNK_ROWS; n === PRUNE_CHUNK_ROWS; removed += n) n = await pruneChunk(cutoff);
      return removed;
    },
  };
}

/*
 * On PostgreSQL the batch is one statement, one round trip: atomic without a transaction, and a
 * nonce another instance is inserting at the same moment waits for that commit and then counts as
 * seen, where a SERIALIZABLE batch would fail and start again.
 */
async function rememberInOneStatement(sql: SqlStore, sightings: readonly NonceSighting[], memoryMs: number): Promise<boolean[]> {
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
  const rows = await sql.all<{ account_id: number; nonce: string }>(POSTGRES.rememberBatch, [
    batch.map((s) => s.accountId),
    batch.map((s) => s.nonce),
    batch.map((s) => s.seenAt),
    memoryMs,
  ]);
  const fresh = new Set(rows.map((r) => keyOf({ accountId: r.account_id, nonce: r.nonce })));
  return sightings.map((s, i) => firstAt.get(keyOf(s)) === i && fresh.has(keyOf(s)));
}

function keyOf(s: { accountId: number; nonce: string }): string {
  return `${s.accountId}\u0000${s.nonce}`;
}
