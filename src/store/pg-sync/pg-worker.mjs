// The PostgreSQL side of the synchronous bridge (sync-bridge.ts): one pg connection in a worker
// thread. The main thread posts a query and sleeps on a shared flag; this answers on the port and
// wakes it. Plain JavaScript, so it runs the same under tsx, vitest and the compiled runtime.
import { workerData } from "node:worker_threads";
import pg from "pg";
import { drizzle } from "drizzle-orm/node-postgres";
import { migrate } from "drizzle-orm/node-postgres/migrator";

const { url, port, flag, migrationsFolder, statementTimeoutMs, lockTimeoutMs } = workerData;
const wake = new Int32Array(flag);
/** Advisory lock key ("emall" in ASCII) that serialises migrations between instances starting together. */
const MIGRATION_LOCK_KEY = 0x656d616c6c;
/** A server that never answers (a dropped packet, a wrong host) fails the query in this long, not at the OS's TCP timeout. */
const CONNECT_TIMEOUT_MS = 10_000;

// Rows read as the SQLite store reads them: 64-bit integers and sums as numbers (epoch ms and fen
// stay far below 2^53), booleans as 1/0.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (v) => Number(v));
pg.types.setTypeParser(pg.types.builtins.BOOL, (v) => (v === "t" ? 1 : 0));

let client = null;
let migrated = false;

async function connection() {
  if (client) return client;
  const c = new pg.Client({ connectionString: url, statement_timeout: statementTimeoutMs, lock_timeout: lockTimeoutMs, connectionTimeoutMillis: CONNECT_TIMEOUT_MS, application_name: "emall-gateway" });
  // A connection the server dropped is replaced on the next query; without a listener the error would end the thread.
  c.on("error", () => {
    if (client === c) client = null;
  });
  await c.connect();
  client = c;
  if (!migrated) {
    await c.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK_KEY]);
    try {
      if (migrationsFolder) await migrate(drizzle(c), { migrationsFolder });
    } finally {
      await c.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK_KEY]);
    }
    migrated = true;
  }
  return c;
}

port.on("message", async (request) => {
  let answer;
  try {
    const c = await connection();
    const result = await c.query({ text: request.text, values: request.values, rowMode: request.array ? "array" : undefined });
    answer = { id: request.id, rows: result.rows ?? [], rowCount: result.rowCount ?? 0 };
  } catch (e) {
    answer = { id: request.id, error: { message: e?.message ?? String(e), code: e?.code, detail: e?.detail } };
    // A broken connection is not reused; a query error leaves it usable.
    if (client && !e?.code) {
      const broken = client;
      client = null;
      broken.end().catch(() => undefined);
    }
  }
  port.postMessage(answer);
  Atomics.store(wake, 0, 1);
  Atomics.notify(wake, 0);
});

port.on("close", () => {
  void client?.end().catch(() => undefined);
});
