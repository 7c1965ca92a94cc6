import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { rememberNonces } from "../../src/store/pg-coordination/nonce-ledger.js";
import type { NonceSighting } from "../../src/store/repos/nonce-repo.js";
import { useInstancesOnOneCluster } from "../helpers/pg-instances.js";

/** The replay guard's nonce batches from several instances (one pg.Pool each) on one throwaway PostgreSQL cluster. */
const { dbOf, count } = useInstancesOnOneCluster(4);
const instances = Array.from({ length: count }, (_, i) => i);

const MEMORY_MS = 15 * 60_000;

function shuffled<T>(items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

describe("rememberNonces with several instances on one PostgreSQL", () => {
  it("accepts a nonce at exactly one instance when batches carrying it commit at several at once", async () => {
    const ROUNDS = 25;
    const accounts = [1, 2];
    for (let round = 0; round < ROUNDS; round++) {
      const now = Date.now();
      const pool = accounts.flatMap((accountId) => Array.from({ length: 15 }, (_, n) => ({ accountId, nonce: `r${round}-n${n}` })));
      // Each instance batches a random two thirds of the nonces in its own random order.
      const batches: NonceSighting[][] = instances.map(() => shuffled(pool).slice(0, 20).map((s) => ({ ...s, seenAt: now })));
      const answers = await Promise.all(batches.map((batch, i) => rememberNonces(dbOf(i), batch, MEMORY_MS)));
      for (const { accountId, nonce } of pool) {
        const sent = batches.flatMap((batch, i) => batch.flatMap((s, n) => (s.accountId === accountId && s.nonce === nonce ? [answers[i]?.[n]] : [])));
        if (sent.length === 0) continue;
        expect(sent.filter((fresh) => fresh === true), `${accountId}/${nonce} sent ${sent.length}×`).toHaveLength(1);
      }
    }
  });

  it("refuses a nonce used at another instance within the window, per account, and a repeat inside one batch", async () => {
    const t = Date.now();
    expect(await rememberNonces(dbOf(0), [{ accountId: 7, nonce: "once" }, { accountId: 8, nonce: "once" }].map((s) => ({ ...s, seenAt: t })), MEMORY_MS)).toEqual([true, true]);
    expect(await rememberNonces(dbOf(1), [{ accountId: 7, nonce: "once", seenAt: t + MEMORY_MS }, { accountId: 7, nonce: "fresh", seenAt: t + 1 }], MEMORY_MS)).toEqual([false, true]);
    expect(await rememberNonces(dbOf(2), [{ accountId: 9, nonce: "twice", seenAt: t }, { accountId: 9, nonce: "twice", seenAt: t }], MEMORY_MS)).toEqual([true, false]);
    expect(await rememberNonces(dbOf(2), [], MEMORY_MS)).toEqual([]);
  });

  it("takes a nonce again once its last use is older than the window, at any instance", async () => {
    const t = Date.now() - 2 * MEMORY_MS;
    expect(await rememberNonces(dbOf(0), [{ accountId: 3, nonce: "aged", seenAt: t }], MEMORY_MS)).toEqual([true]);
    expect(await rememberNonces(dbOf(1), [{ accountId: 3, nonce: "aged", seenAt: t + MEMORY_MS + 1 }], MEMORY_MS)).toEqual([true]);
    // Taken again, its window starts over from the second use.
    expect(await rememberNonces(dbOf(2), [{ accountId: 3, nonce: "aged", seenAt: t + 2 * MEMORY_MS }], MEMORY_MS)).toEqual([false]);
    const { rows } = await dbOf(0).execute<{ seen_at: string }>(sql`SELECT seen_at FROM request_nonces WHERE account_id = 3 AND nonce = 'aged'`);
    expect(rows.map((r) => Number(r.seen_at))).toEqual([t + MEMORY_MS + 1]);
  });
});
