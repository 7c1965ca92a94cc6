import { type DelayProxyProcess, proxiedDatabaseUrl, startDelayProxyProcess } from "../tests/helpers/delay-proxy.js";
import type { PgCluster } from "../tests/helpers/pg-cluster.js";

/**
 * The database options the gateway benchmarks share:
 *   --postgres   the gateway runs on a throwaway local PostgreSQL cluster (tests/helpers/pg-cluster.ts)
 *                over its unix socket, instead of a SQLite file;
 *   --rtt-ms N   with --postgres, the gateway reaches the cluster through a delay proxy
 *                (tests/helpers/delay-proxy.ts) adding N/2 ms each way, as a database on another
 *                host would; 0 is the proxy without delay, to tell its own cost from the delay's.
 */
export type BenchDatabaseOptions = { readonly postgres: boolean; readonly rttMs: number | null };

/** The options from their flag values, or exits 64 naming the wrong one. */
export function benchDatabaseOptions(script: string, postgres: boolean, rttMs: string | undefined): BenchDatabaseOptions {
  if (rttMs === undefined) return { postgres, rttMs: null };
  const rtt = Number(rttMs);
  if (rttMs.trim() === "" || !Number.isFinite(rtt) || rtt < 0) {
    console.error(`${script}: --rtt-ms must be a number of milliseconds ≥ 0`);
    process.exit(64);
  }
  if (!postgres) {
    console.error(`${script}: --rtt-ms is the time between the gateway and PostgreSQL: it needs --postgres`);
    process.exit(64);
  }
  return { postgres, rttMs: rtt };
}

/** How a figure's database is named in a printout. */
export function databaseLabel(options: BenchDatabaseOptions): string {
  if (!options.postgres) return "SQLite";
  if (options.rttMs === null) return "PostgreSQL (local cluster, unix socket)";
  return `PostgreSQL (local cluster through a delay proxy, ${options.rttMs} ms RTT: ${options.rttMs / 2} ms each way)`;
}

/** A database of the cluster reached through a delay proxy in its own process: its URL for the gateway. */
export async function delayedDatabase(cluster: PgCluster, database: string, rttMs: number): Promise<{ url: string; proxy: DelayProxyProcess }> {
  const proxy = await startDelayProxyProcess({ target: { path: cluster.socketPath }, oneWayMs: rttMs / 2 });
  return { url: proxiedDatabaseUrl(proxy.port, database), proxy };
}
