// The PostgreSQL side of the synchronous bridge (sync-bridge.ts): one pg connection in a worker
// thread. The main thread posts a query and sleeps on a shared flag; this answers on the port and
// wakes it. Plain JavaScript, so it runs the same under tsx, vitest and the compiled runtime.
import { workerData } from "node:worker_threads";
import pg from "pg";
import { drizzle } from "drizzle-orm/node-postgres";
import { migrate } from "drizzle-orm/node-postgres/migrator";

const { url, port, flag, migrationsFolder, statementTimeoutMs, lockTimeoutMs, heartbeatMs, warm } = workerData;
/**
 * [0]: raised when an answer is posted; [1]: counts up while this thread's event loop turns; [2]: set
 * as the thread ends; [3]: set once it takes queries (sync-bridge.ts).
 */
const shared = new Int32Array(flag);
/** Advisory lock key ("emall" in ASCII) that serialises migrations between instances starting together. */
const MIGRATION_LOCK_KEY = 0x656d616c6c;
/** A server that never answers (a dropped packet, a wrong host) fails the query in this long, not at the OS's TCP timeout. */
const CONNECT_TIMEOUT_MS = 10_000;
/**
 * SQLSTATEs after which the server has ended the session: connection exceptions (08), operator
 * intervention (57P01 admin_shutdown from pg_terminate_backend, 57P02 crash_shutdown, 57P05 idle
 * session timeout…) and 25P03 idle_in_transaction_session_timeout.
 */
const SESSION_ENDED = /^(08|57P|25P03)/;

// Rows read as the SQLite store reads them: 64-bit integers and sums as numbers (epoch ms and fen
// stay far below 2^53), booleans as 1/0.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (v) => Number(v));
pg.types.setTypeParser(pg.types.builtins.BOOL, (v) => (v === "t" ? 1 : 0));

// A caller blocked on the flag cannot see the 'exit' event: it is told here (process.exit and an
// uncaught throw run this; terminate() does not, and the heartbeat's silence covers that).
process.on("exit", () => {
  Atomics.store(shared, 2, 1);
  Atomics.store(shared, 0, 1);
  Atomics.notify(shared, 0);
});
Atomics.add(shared, 1, 1);
setInterval(() => Atomics.add(shared, 1, 1), heartbeatMs).unref();

let client = null;
/** Which connection `client` is: a statement inside a transaction names the one its BEGIN ran on. */
let generation = 0;
let migrated = false;

async function connection() {
  if (client) return client;
  const c = new pg.Client({
    connectionString: url,
    statement_timeout: statementTimeoutMs,
    lock_timeout: lockTimeoutMs,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    application_name: "emall-gateway",
  });
  // A connection the server ended is forgotten at once, so no later statement of its transaction
  // can reach a new one; without a listener the error would also end the thread.
  const forget = () => {
    if (client === c) client = null;
  };
  c.on("error", forget);
  c.on("end", forget);
  await c.connect();
  client = c;
  generation++;
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

async function answer(request) {
  // A transaction's statement runs on the connection its BEGIN ran on or nowhere: on a new one it
  // would run outside the transaction, autocommitted.
  if (request.connection !== undefined && (client === null || request.connection !== generation)) {
    return { id: request.id, error: { message: "the connection of this transaction was lost before the statement was sent", lost: "before" } };
  }
  let c = null;
  try {
    c = await connection();
    const result = await c.query({ text: request.text, values: request.values, rowMode: request.array ? "array" : undefined });
    return { id: request.id, rows: result.rows ?? [], rowCount: result.rowCount ?? 0, connection: generation };
  } catch (e) {
    const error = { message: e?.message ?? String(e), code: e?.code, detail: e?.detail };
    if (c === null) return { id: request.id, error: { ...error, unreachable: true } };
    // A statement the server refused leaves the connection usable; anything else (the session
    // ended, a socket error, a protocol error) means it is not reused.
    const usable = e instanceof pg.DatabaseError && !SESSION_ENDED.test(e.code ?? "") && client === c;
    if (usable) return { id: request.id, error };
    if (client === c) client = null;
    c.end().catch(() => undefined);
    return { id: request.id, error: { ...error, lost: "after" } };
  }
}

port.on("message", async (request) => {
  port.postMessage(await answer(request));
  Atomics.store(shared, 0, 1);
  Atomics.notify(shared, 0);
});

port.on("close", () => {
  void client?.end().catch(() => undefined);
});

// A replacement connects (and migrates) before it takes queries, so that no caller holds the
// event loop while it does; a server that cannot be reached is reported by the queries themselves.
if (warm) await connection().catch(() => undefined);
Atomics.store(shared, 3, 1);
