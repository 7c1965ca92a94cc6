import { setTimeout as pause } from "node:timers/promises";
import pg from "pg";
import { CHANGE_CHANNEL, unheardChanges } from "./change-feed.js";
import { openPgChangeFeed } from "./pg-change-feed.js";
import { PgCommitUnknownError, PgConnectionLostError, PgQueryError, PgUnavailableError } from "./pg-errors.js";
import { type Row, type SqlStore, type Transaction, type TransactionOptions, TransactionOverError, runEffects, transactionBodies } from "./sql-store.js";

export type PgPoolOptions = {
  url: string;
  /** Connections at most (DATABASE_POOL_SIZE). */
  poolSize: number;
  /** No statement runs longer on the server, and no caller waits longer for one. */
  statementTimeoutMs: number;
  lockTimeoutMs: number;
  /** A session idle inside a transaction this long is ended by the server: a body never waits on anything but its own statements. */
  idleInTransactionMs?: number;
  /** Keep the hot path's reads while a listener hears that they are unchanged (change-feed.ts); a side pool does not. */
  changeFeed?: boolean;
  /** Told when the change listener is lost or regained. */
  onChangeFeed?: (state: { live: boolean; reason?: string }) => void;
};

/**
 * How many times a transaction runs in all after a SQLSTATE that says another transaction won: a
 * serialisation failure or deadlock, and a unique violation, which PostgreSQL may report instead of
 * a serialisation failure when both inserted the same key (a real duplicate fails again, and that
 * error is the caller's).
 */
const ATTEMPTS_AFTER: Readonly<Record<string, number>> = { "40001": 8, "40P01": 8, "23505": 2 };
/**
 * How many times a transaction runs in all when its connection ends before COMMIT is answered (a
 * restart or failover, pg_terminate_backend, idle_in_transaction_session_timeout) or no connection
 * can be had: the server rolled it back, so it runs again from its start on another connection.
 */
const ATTEMPTS_AFTER_CONNECTION_LOSS = 4;
/** Before a transaction runs again: a random pause doubling with each attempt, so the losers of one race do not race again in step. */
const RETRY_PAUSE_MS = 4;
/**
 * SQLSTATEs after which the server has ended the session: connection exceptions (08), operator
 * intervention (57P01 admin_shutdown from pg_terminate_backend, 57P02, 57P03 cannot connect now,
 * 57P05 idle session timeout) and 25P03 idle_in_transaction_session_timeout.
 */
const SESSION_ENDED = /^(08|57P|25P03)/;
/** A connection that cannot be made in this long (a dropped packet, a wrong host) fails at once, not at the OS's TCP timeout. */
const CONNECT_TIMEOUT_MS = 5_000;
const DEFAULT_IDLE_IN_TRANSACTION_MS = 5_000;

const { INT8, NUMERIC, BOOL } = pg.types.builtins;
/**
 * Rows read as the SQLite store reads them: 64-bit integers and sums as numbers (epoch ms and fen
 * stay far below 2^53), booleans as 1/0. Per pool, so no other pg client in the process is touched.
 */
const types = {
  getTypeParser(oid: number, format?: "text" | "binary") {
    if (oid === INT8 || oid === NUMERIC) return (v: string) => Number(v);
    if (oid === BOOL) return (v: string) => (v === "t" ? 1 : 0);
    return pg.types.getTypeParser(oid, format);
  },
};

/**
 * The store on PostgreSQL: a pg.Pool, every statement awaited, none of them holding the event loop.
 * Transactions are SERIALIZABLE, so work that reads and then writes (the audit chain's next link, a
 * lease) behaves as under SQLite's single writer with several gateways on one database; one that
 * loses, or whose connection is lost before its COMMIT is answered, runs again from its start.
 */
export function openPgPoolStore(options: PgPoolOptions): SqlStore {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize,
    statement_timeout: options.statementTimeoutMs,
    // The server's timeout ends a slow statement; this ends the wait for a server that no longer answers at all.
    query_timeout: options.statementTimeoutMs + 1_000,
    lock_timeout: options.lockTimeoutMs,
    idle_in_transaction_session_timeout: options.idleInTransactionMs ?? DEFAULT_IDLE_IN_TRANSACTION_MS,
    connectionTimeoutMillis: Math.min(CONNECT_TIMEOUT_MS, options.statementTimeoutMs),
    application_name: "emall-gateway",
    // Idle connections never keep a finished CLI command's process alive.
    allowExitOnIdle: true,
    types,
  } as pg.PoolConfig);
  // An idle connection the server ends (restart, terminate) is dropped by the pool; without a
  // listener its error would end the process. A connection the server ends while it is checked out
  // (a statement on its way, a transaction between statements, a client being released) says so to
  // its own listener too: every client gets one for its whole life, and the statement or the
  // transaction that used it fails and is retried by its own rules.
  pool.on("error", () => undefined);
  pool.on("connect", (client) => client.on("error", () => undefined));
  let closed = false;

  /** One statement on `client`, its failure said in the store's terms. */
  const query = async <R>(client: pg.PoolClient | pg.Pool, text: string, values: readonly unknown[]): Promise<pg.QueryResult<R & pg.QueryResultRow>> => {
    try {
      return await client.query<R & pg.QueryResultRow>(text, values.map(toParameter));
    } catch (e) {
      throw storeErrorOf(e, text);
    }
  };

  const bodies = transactionBodies();
  const outside = {
    async all<R = Row>(text: string, values: readonly unknown[] = []) {
      bodies.refuseInside(text);
      return (await query<R>(pool, text, values)).rows;
    },
    async get<R = Row>(text: string, values: readonly unknown[] = []) {
      bodies.refuseInside(text);
      return (await query<R>(pool, text, values)).rows[0];
    },
    async run(text: string, values: readonly unknown[] = []) {
      bodies.refuseInside(text);
      return (await query(pool, text, values)).rowCount ?? 0;
    },
    afterCommit: (effect: () => void) => effect(),
  };
  const changes =
    options.changeFeed === true
      ? openPgChangeFeed({
          url: options.url,
          timeoutMs: Math.min(CONNECT_TIMEOUT_MS, options.statementTimeoutMs),
          notify: async (payload) => void (await pool.query("SELECT pg_notify($1, $2)", [CHANGE_CHANNEL, payload])),
          onState: options.onChangeFeed,
        })
      : unheardChanges();

  async function attempt<T>(work: (tx: Transaction) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await pool.connect();
    } catch (e) {
      throw storeErrorOf(e, "BEGIN");
    }
    let open = true;
    // The server may end the session while the body is between statements (a checked-out client
    // has no pool listener): noted, and the next statement fails as a lost connection.
    const onError = () => {
      lost = true;
    };
    client.on("error", onError);
    /** The first database failure a statement of the body met: it decides the retry, whatever the body throws after it. */
    let failure: PgQueryError | null = null;
    let lost = false;
    /** Run once this attempt's COMMIT is answered; an attempt that fails forgets them with itself. */
    const committed: Array<() => void> = [];
    const through = async <R>(text: string, values: readonly unknown[]) => {
      if (!open) throw new TransactionOverError(text);
      try {
        return await query<R>(client, text, values);
      } catch (e) {
        if (e instanceof PgQueryError) {
          failure ??= e;
          if (e instanceof PgConnectionLostError) lost = true;
        }
        throw e;
      }
    };
    const tx: Transaction = {
      dialect: "postgres",
      all: async <R = Row>(text: string, values: readonly unknown[] = []) => (await through<R>(text, values)).rows,
      get: async <R = Row>(text: string, values: readonly unknown[] = []) => (await through<R>(text, values)).rows[0],
      run: async (text, values = []) => (await through(text, values)).rowCount ?? 0,
      afterCommit: (effect) => void committed.push(effect),
    };
    let committing = false;
    let settled = false;
    try {
      await through("BEGIN ISOLATION LEVEL SERIALIZABLE", []);
      const result = await bodies.run(() => work(tx));
      committing = true;
      await through("COMMIT", []);
      settled = true;
      return result;
    } catch (e) {
      if (committing && lost) {
        throw new PgCommitUnknownError(
          `the connection was lost while committing; the transaction may or may not have committed (${reasonOf(e)})`,
          undefined,
          "COMMIT",
        );
      }
      if (!lost) {
        try {
          await client.query("ROLLBACK");
        } catch {
          lost = true;
        }
      }
      throw failure && !(e instanceof PgQueryError) ? new RetryAs(failure, e) : e;
    } finally {
      open = false;
      client.off("error", onError);
      // A connection that failed is closed, not handed to the next caller.
      client.release(lost ? new Error("connection lost") : undefined);
      // Committed: what follows the commit in memory runs now, and cannot make it look failed.
      if (settled) runEffects(committed);
    }
  }

  return {
    dialect: "postgres",
    ...outside,
    async transaction<T>(work: (tx: Transaction) => Promise<T>, _options?: TransactionOptions): Promise<T> {
      bodies.refuseInside("BEGIN");
      for (let n = 1; ; n++) {
        try {
          return await attempt(work);
        } catch (e) {
          const cause = e instanceof RetryAs ? e.failure : e;
          const attempts =
            cause instanceof PgCommitUnknownError
              ? 1
              : cause instanceof PgUnavailableError
                ? ATTEMPTS_AFTER_CONNECTION_LOSS
                : cause instanceof PgQueryError && cause.code !== undefined
                  ? (ATTEMPTS_AFTER[cause.code] ?? 1)
                  : 1;
          if (n < attempts && !closed) {
            await pause(Math.random() * RETRY_PAUSE_MS * 2 ** n);
            continue;
          }
          throw e instanceof RetryAs ? e.thrown : e;
        }
      }
    },
    async ping() {
      try {
        await pool.query("SELECT 1");
        return true;
      } catch {
        return false;
      }
    },
    changes,
    async close() {
      if (closed) return;
      closed = true;
      await changes.close();
      await pool.end();
    },
  };
}

/** A body threw its own error after one of its statements failed: retried as that failure says, rethrown as the body's if not. */
class RetryAs {
  constructor(
    readonly failure: PgQueryError,
    readonly thrown: unknown,
  ) {}
}

function storeErrorOf(e: unknown, statement: string): PgQueryError {
  if (e instanceof PgQueryError) return e;
  const error = e as { message?: string; code?: string; detail?: string } | null;
  const message = error?.message ?? String(e);
  if (e instanceof pg.DatabaseError) {
    if (SESSION_ENDED.test(e.code ?? "")) return new PgConnectionLostError(message, true, e.code, statement);
    return new PgQueryError(message, e.code, e.detail, statement);
  }
  // Not a server's answer: the socket failed, the connection was refused or timed out, or the server went silent (query_timeout).
  return new PgConnectionLostError(message, true, error?.code, statement);
}

function reasonOf(e: unknown): string {
  return e instanceof PgQueryError ? e.reason : e instanceof Error ? e.message : String(e);
}

function toParameter(value: unknown): unknown {
  if (value === undefined) return null;
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "boolean") return value ? 1 : 0;
  return value;
}
