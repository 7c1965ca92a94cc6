import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import pg from "pg";
import { openPgStore } from "../src/store/database.js";
import { startPgCluster } from "../tests/helpers/pg-cluster.js";

/**
 * What the synchronous PostgreSQL bridge costs (src/store/pg-sync): the same statements, one at a
 * time, through the store's connection (a worker thread's pg client, the caller blocked on
 * Atomics.wait) and through a plain async pg client awaited in this thread. Prints each one's
 * latency and the ratio bridged / direct: a measurement, not a pass or fail. A bridged query holds
 * the event loop for all of its latency; a direct one only for the client's own work.
 * Usage: npx tsx scripts/bench-pg-bridge.ts [--url postgres://…] [--samples 4000]
 *   without --url, on a throwaway local cluster over a unix socket (tests/helpers/pg-cluster.ts).
 */
const { values } = parseArgs({ options: { url: { type: "string" }, samples: { type: "string", default: "4000" } } });
const SAMPLES = Number(values.samples);
/** Bridged and direct take turns in rounds of this many, so a change in the machine's load hits both alike. */
const ROUND = 250;
const ROWS = 10_000;

const STATEMENTS: ReadonlyArray<{ name: string; text: string; params: () => unknown[] }> = [
  { name: "SELECT 1", text: "SELECT 1 AS one", params: () => [] },
  { name: "row by primary key", text: "SELECT id, sku, name, price_fen FROM bench_rows WHERE id = $1", params: () => [1 + Math.floor(Math.random() * ROWS)] },
  {
    name: "update by primary key",
    text: "UPDATE bench_rows SET price_fen = price_fen + 1 WHERE id = $1",
    params: () => [1 + Math.floor(Math.random() * ROWS)],
  },
];

type Stats = { p50: number; p99: number; mean: number };
function stats(samples: number[]): Stats {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  return { p50: at(0.5), p99: at(0.99), mean: sorted.reduce((s, v) => s + v, 0) / sorted.length };
}
const micros = (v: number) => `${(v * 1000).toFixed(0)} µs`;

async function main(): Promise<void> {
  const cluster = values.url ? null : await startPgCluster();
  const url = values.url ?? cluster?.url ?? "";
  const direct = new pg.Client({ connectionString: url });
  await direct.connect();
  const store = openPgStore(url);
  try {
    await direct.query("DROP TABLE IF EXISTS bench_rows");
    await direct.query("CREATE TABLE bench_rows (id integer PRIMARY KEY, sku text NOT NULL, name text NOT NULL, price_fen bigint NOT NULL)");
    await direct.query("INSERT INTO bench_rows SELECT i, 'SKU-' || i, '办公用品 ' || i, i * 100 FROM generate_series(1, $1::int) AS i", [ROWS]);
    await direct.query("ANALYZE bench_rows");
    console.log(
      `pg bridge vs direct async pg: ${SAMPLES} samples per statement and side, rounds of ${ROUND}, load ${loadavg()
        .map((l) => l.toFixed(2))
        .join(" ")}`,
    );
    for (const statement of STATEMENTS) {
      // The store's statements are written with ? placeholders; the bridge turns them into $n.
      const bridged = store.connection.prepare(statement.text.replace(/\$\d+/g, "?"));
      const reader = /^\s*select/i.test(statement.text);
      const viaBridge: number[] = [];
      const viaDirect: number[] = [];
      for (let i = 0; i < ROUND; i++) {
        if (reader) bridged.all(...statement.params());
        else bridged.run(...statement.params());
        await direct.query(statement.text, statement.params());
      }
      while (viaBridge.length < SAMPLES) {
        for (let i = 0; i < ROUND; i++) {
          const params = statement.params();
          const t0 = performance.now();
          if (reader) bridged.all(...params);
          else bridged.run(...params);
          viaBridge.push(performance.now() - t0);
        }
        for (let i = 0; i < ROUND; i++) {
          const params = statement.params();
          const t0 = performance.now();
          await direct.query(statement.text, params);
          viaDirect.push(performance.now() - t0);
        }
      }
      const b = stats(viaBridge);
      const d = stats(viaDirect);
      console.log(
        `${statement.name.padEnd(22)} bridged p50 ${micros(b.p50)} p99 ${micros(b.p99)} mean ${micros(b.mean)} | direct p50 ${micros(d.p50)} p99 ${micros(d.p99)} mean ${micros(d.mean)} | ratio p50 ${(b.p50 / d.p50).toFixed(2)}× mean ${(b.mean / d.mean).toFixed(2)}×`,
      );
    }
    await direct.query("DROP TABLE bench_rows");
  } finally {
    store.close();
    await direct.end();
    await cluster?.stop();
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
