import { afterAll, beforeAll } from "vitest";
import { openPgStore, type PgDb, type PgStore } from "../../src/store/pg-database.js";
import { type PgCluster, startPgCluster } from "./pg-cluster.js";

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

/**
 * For a test file: a throwaway cluster and `count` instances' stores on it, opened before the
 * file's tests and closed after them. `dbOf(i)` is instance i's database.
 */
export function useInstancesOnOneCluster(count: number): { dbOf: (i: number) => PgDb; count: number } {
  let cluster: PgCluster | undefined;
  let instances: PgStore[] = [];
  beforeAll(async () => {
    cluster = await startPgCluster();
    instances = await openInstances(cluster.url, count);
  }, 120_000);
  afterAll(async () => {
    await Promise.all(instances.map((s) => s.close()));
    await cluster?.stop();
  });
  const dbOf = (i: number): PgDb => {
    const store = instances[i];
    if (!store) throw new Error(`no instance ${i}`);
    return store.db;
  };
  return { dbOf, count };
}
