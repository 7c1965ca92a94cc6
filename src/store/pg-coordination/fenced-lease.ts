import { sql } from "drizzle-orm";
import type { PgDb } from "../pg-database.js";
import { dbNowMs } from "./db-clock.js";

/**
 * A supplier's pull lease shared by instances on one PostgreSQL (row `sync_leases`), fenced: every
 * acquisition raises the row's fencing token, and a write made under the lease first locks the row
 * and checks the token is still the holder's and unexpired by the database's clock. A runner that
 * stalled past its lease (a pause, a slow network) and was taken over cannot land a late write.
 *
 * The row is never deleted (release expires it), so the token only grows.
 */
export type FencedLease = {
  readonly supplierId: number;
  readonly holder: string;
  readonly fencingToken: number;
  /** Epoch ms by the database's clock when acquired or last renewed. */
  readonly expiresAt: number;
};

export type LeaseRefusal = {
  /** lease_lost: another acquisition took it (or it was released); lease_expired: still its token, past its time. */
  readonly code: "lease_lost" | "lease_expired";
  readonly message: string;
};

export type FencedWriteResult<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly refusal: LeaseRefusal };

export type PgTx = Parameters<Parameters<PgDb["transaction"]>[0]>[0];

type LeaseRow = { fencing_token: number; expires_at: string };

/** The lease, when it was free or expired; null when another holder has it. */
export async function acquireLease(db: PgDb, supplierId: number, holder: string, runId: string | null, ttlMs: number): Promise<FencedLease | null> {
  const { rows } = await db.execute<LeaseRow>(sql`
    INSERT INTO sync_leases (supplier_id, holder, run_id, acquired_at, expires_at, fencing_token)
    VALUES (${supplierId}, ${holder}, ${runId}, ${dbNowMs}, ${dbNowMs} + ${ttlMs}, 1)
    ON CONFLICT (supplier_id) DO UPDATE SET
      holder = excluded.holder, run_id = excluded.run_id, acquired_at = excluded.acquired_at,
      expires_at = excluded.expires_at, fencing_token = sync_leases.fencing_token + 1
    WHERE sync_leases.expires_at <= ${dbNowMs}
    RETURNING fencing_token, expires_at`);
  const row = rows[0];
  return row ? { supplierId, holder, fencingToken: row.fencing_token, expiresAt: Number(row.expires_at) } : null;
}

/**
 * Extends an unexpired lease; null once it has expired (even if no one took it: writes were refused
 * meanwhile, so the runner acquires again and gets a new token) or was taken.
 */
export async function renewLease(db: PgDb, lease: FencedLease, ttlMs: number): Promise<FencedLease | null> {
  const { rows } = await db.execute<LeaseRow>(sql`
    UPDATE sync_leases SET expires_at = ${dbNowMs} + ${ttlMs}
    WHERE supplier_id = ${lease.supplierId} AND fencing_token = ${lease.fencingToken} AND expires_at > ${dbNowMs}
    RETURNING fencing_token, expires_at`);
  const row = rows[0];
  return row ? { ...lease, expiresAt: Number(row.expires_at) } : null;
}

/** Lets the next instance take the lease at once; false when it was no longer this one's. */
export async function releaseLease(db: PgDb, lease: FencedLease): Promise<boolean> {
  const { rowCount } = await db.execute(sql`
    UPDATE sync_leases SET expires_at = ${dbNowMs}, run_id = NULL
    WHERE supplier_id = ${lease.supplierId} AND fencing_token = ${lease.fencingToken} AND expires_at > ${dbNowMs}`);
  return rowCount === 1;
}

/** Thrown inside the transaction only to roll it back; returned to the caller as a value. */
class Refused extends Error {
  constructor(readonly refusal: LeaseRefusal) {
    super(refusal.message);
  }
}

/**
 * Runs `write` in a transaction that first locks the lease row FOR SHARE and checks the token and
 * expiry; a refusal is a value and nothing is written. The shared lock makes a takeover (an UPDATE
 * of the row) wait for this transaction to end, so no write of the old holder commits after the new
 * holder's token exists. Keep `write` short: no network calls inside.
 */
export async function withFencedWrite<T>(db: PgDb, lease: FencedLease, write: (tx: PgTx) => Promise<T>): Promise<FencedWriteResult<T>> {
  try {
    const value = await db.transaction(async (tx) => {
      const { rows } = await tx.execute<{ fencing_token: number; live: boolean }>(sql`
        SELECT fencing_token, expires_at > ${dbNowMs} AS live FROM sync_leases WHERE supplier_id = ${lease.supplierId} FOR SHARE`);
      const row = rows[0];
      if (!row || row.fencing_token !== lease.fencingToken) {
        throw new Refused({ code: "lease_lost", message: `supplier ${lease.supplierId}: lease token ${lease.fencingToken} was superseded (now ${row?.fencing_token ?? "none"})` });
      }
      if (!row.live) throw new Refused({ code: "lease_expired", message: `supplier ${lease.supplierId}: lease token ${lease.fencingToken} has expired` });
      return write(tx);
    });
    return { ok: true, value };
  } catch (e) {
    if (e instanceof Refused) return { ok: false, refusal: e.refusal };
    throw e;
  }
}
