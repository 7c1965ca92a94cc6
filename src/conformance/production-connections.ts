import type { AccountRepo } from "../store/repos/account-repo.js";
import type { ConnectionRepo } from "../store/repos/connection-repo.js";

/** A connection read is kept this long: every production call asks, and a changed timeout may show a little late. */
const CACHE_MS = 30_000;

/** A supplier's connection timeout and sign mode by code, read at most every CACHE_MS per supplier. */
export function cachedConnections(
  connections: Pick<ConnectionRepo, "connectionOf">,
  accounts: Pick<AccountRepo, "supplierByCode">,
  now: () => number = () => performance.now(),
) {
  const cache = new Map<string, { at: number; value: Promise<{ timeoutMs: number; signMode: string } | null> }>();
  return (code: string): Promise<{ timeoutMs: number; signMode: string } | null> => {
    const hit = cache.get(code);
    if (hit && now() - hit.at < CACHE_MS) return hit.value;
    const value = (async () => {
      const supplier = await accounts.supplierByCode(code);
      const row = supplier ? await connections.connectionOf(supplier.id) : undefined;
      return row ? { timeoutMs: row.timeoutMs, signMode: row.signMode } : null;
    })();
    const entry = { at: now(), value };
    cache.set(code, entry);
    // A failed read is not kept: the next call asks again.
    void value.catch(() => {
      if (cache.get(code) === entry) cache.delete(code);
    });
    return value;
  };
}
