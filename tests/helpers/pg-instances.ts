import { openPgStore, type PgStore } from "../../src/store/pg-database.js";

/** Several gateway instances' stores on one database: one pg.Pool each, as separate processes would have. */
export async function openInstances(url: string, count: number): Promise<PgStore[]> {
  const stores: PgStore[] = [];
  // One after another: each migrates under the advisory lock anyway, and a failure closes those opened.
  try {
    for (let i = 0; i < count; i++) stores.push(await openPgStore(url));
  } catch (e) {
    await Promise.all(stores.map((s) => s.close()));
    throw e;
  }
  return stores;
}

/** A whole-millisecond pause with jitter in [minMs, maxMs]. */
export function jitterMs(minMs: number, maxMs: number): number {
  return minMs + Math.floor(Math.random() * (maxMs - minMs + 1));
}
