import { sql } from "drizzle-orm";
import type { NonceSighting } from "../repos/nonce-repo.js";
import type { PgDb } from "../pg-database.js";

/**
 * The replay guard's group commit on PostgreSQL (§2.2): a batch of nonces in one statement. A row
 * comes back when its nonce was new, or last seen before the memory window (then it is taken
 * again); one that does not come back was used within the window, at whichever instance.
 * Answers one boolean per sighting, in order, like NonceRepo.rememberAll.
 */
export async function rememberNonces(db: PgDb, sightings: readonly NonceSighting[], memoryMs: number): Promise<boolean[]> {
  // ON CONFLICT DO UPDATE may touch a row once per statement: a nonce twice in one batch is fresh only the first time.
  const firstAt = new Map<string, number>();
  sightings.forEach((s, i) => {
    const key = keyOf(s);
    if (!firstAt.has(key)) firstAt.set(key, i);
  });
  // One order for every instance's batches, so two batches sharing nonces never wait on each other in a cycle (deadlock).
  const batch = [...firstAt.values()].map((i) => sightings[i] as NonceSighting).sort((a, b) => a.accountId - b.accountId || (a.nonce < b.nonce ? -1 : a.nonce > b.nonce ? 1 : 0));
  if (batch.length === 0) return [];

  const { rows } = await db.execute<{ account_id: number; nonce: string }>(sql`
    INSERT INTO request_nonces (account_id, nonce, seen_at)
    SELECT account_id, nonce, seen_at
    FROM unnest(${sql.param(batch.map((s) => s.accountId))}::int[], ${sql.param(batch.map((s) => s.nonce))}::text[], ${sql.param(batch.map((s) => s.seenAt))}::bigint[]) WITH ORDINALITY AS b (account_id, nonce, seen_at, n)
    ORDER BY n
    ON CONFLICT (account_id, nonce) DO UPDATE SET seen_at = excluded.seen_at
    WHERE request_nonces.seen_at < excluded.seen_at - ${memoryMs}
    RETURNING account_id, nonce`);
  const fresh = new Set(rows.map((r) => keyOf({ accountId: r.account_id, nonce: r.nonce })));
  return sightings.map((s, i) => firstAt.get(keyOf(s)) === i && fresh.has(keyOf(s)));
}

function keyOf(s: { accountId: number; nonce: string }): string {
  return `${s.accountId}\u0000${s.nonce}`;
}
