import { PgCommitUnknownError, PgConnectionLostError, PgQueryError } from "../sql/pg-errors.js";
import type { PgSyncBridge, QueryAnswer } from "./sync-bridge.js";
import { type PortableStatement, toPostgres } from "./portable-sql.js";

type RunResult = { changes: number; lastInsertRowid: number };

/**
 * How many times a transaction is run in all when it fails with a SQLSTATE that says another
 * instance's transaction won: a serialisation failure or deadlock, and a unique violation, which
 * PostgreSQL may report instead of a serialisation failure when both inserted the same key. A real
 * duplicate fails again on its second run, and that error is the caller's.
 */
const ATTEMPTS_AFTER: Record<string, number> = { "40001": 8, "40P01": 8, "23505": 2 };
/**
 * How many times a transaction is run in all when its connection ends before COMMIT is answered
 * (a server restart or failover, pg_terminate_backend, idle_in_transaction_session_timeout): the
 * server rolled it back, so it runs again from the start on a new connection.
 */
const ATTEMPTS_AFTER_CONNECTION_LOSS = 3;
/** Before a transaction runs again: a random pause, doubling with each attempt, so the losers of one race do not race again in step. */
const RETRY_PAUSE_MS = 2;
const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * A statement with better-sqlite3's surface (run, get, all, iterate, pluck, raw), executed on
 * PostgreSQL through the bridge. The repositories and drizzle's better-sqlite3 driver use it as
 * they use SQLite's, so neither knows which database it is on.
 */
export class PgStatement {
  private pluckMode = false;
  private rawMode = false;
  /** Translated once, when prepared: a statement is prepared once and run many times. */
  private readonly statement: PortableStatement;

  constructor(
    private readonly connection: PgConnection,
    readonly source: string,
  ) {
    this.statement = toPostgres(source);
  }

  pluck(on = true): this {
    this.pluckMode = on;
    if (on) this.rawMode = false;
    return this;
  }

  raw(on = true): this {
    this.rawMode = on;
    if (on) this.pluckMode = false;
    return this;
  }

  run(...params: unknown[]): RunResult {
    return { changes: this.execute(params, false).rowCount, lastInsertRowid: 0 };
  }

  get(...params: unknown[]): unknown {
    return this.all(...params)[0];
  }

  all(...params: unknown[]): unknown[] {
    const array = this.pluckMode || this.rawMode;
    const { rows } = this.execute(params, array);
    if (this.pluckMode) return (rows as unknown[][]).map((r) => r[0]);
    return rows;
  }

  iterate(...params: unknown[]): IterableIterator<unknown> {
    return this.all(...params)[Symbol.iterator]();
  }

  private execute(params: unknown[], array: boolean): { rows: unknown[]; rowCount: number } {
    const { statement } = this;
    let values: unknown[];
    if (statement.names) {
      const bound = (params[0] ?? {}) as Record<string, unknown>;
      values = statement.names.map((name) => bound[name]);
    } else {
      // As in better-sqlite3, an object of named values binds nothing in a statement without names
      // (PostgreSQL would refuse a value that has no placeholder).
      const positional = params.length === 1 && Array.isArray(params[0]) ? (params[0] as unknown[]) : params;
      values = positional.filter((v) => !isNamedValues(v));
    }
    return this.connection.query(statement.text, values.map(toParameter), array);
  }
}

function isNamedValues(value: unknown): boolean {
  return typeof value === "object" && value !== null && Object.getPrototypeOf(value) === Object.prototype;
}

function toParameter(value: unknown): unknown {
  if (value === undefined) return null;
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "boolean") return value ? 1 : 0;
  return value;
}

export { PgCommitUnknownError };

type TransactionFn<A extends unknown[], T> = ((...args: A) => T) & {
  deferred: (...args: A) => T;
  immediate: (...args: A) => T;
  exclusive: (...args: A) => T;
};

/**
 * better-sqlite3's Database surface over PostgreSQL. Transactions are SERIALIZABLE, so work that
 * reads and then writes (the audit chain's next link, a lease) behaves as under SQLite's single
 * writer even with several gateways on one database; one that loses to another instance is run
 * again from the start. Nested transactions are savepoints, as in better-sqlite3.
 */
export class PgConnection {
  private depth = 0;
  private savepoints = 0;
  /** The bridge's connection the current transaction's BEGIN ran on: every statement until COMMIT is bound to it. */
  private transactionConnection: number | undefined;
  open = true;
  readonly name: string;

  constructor(
    readonly bridge: PgSyncBridge,
    name: string,
  ) {
    this.name = name;
  }

  get inTransaction(): boolean {
    return this.depth > 0;
  }

  prepare(source: string): PgStatement {
    return new PgStatement(this, source);
  }

  exec(source: string): this {
    this.query(source, []);
    return this;
  }

  /** One statement, inside the current transaction if there is one. */
  query(text: string, values: readonly unknown[], array = false): QueryAnswer<unknown> {
    return this.bridge.query(text, values, array, this.transactionConnection);
  }

  /** SQLite's tuning pragmas have no PostgreSQL meaning: PostgreSQL commits are durable as configured on the server. */
  pragma(_source: string, options?: { simple?: boolean }): unknown {
    return options?.simple ? undefined : [];
  }

  transaction<A extends unknown[], T>(work: (...args: A) => T): TransactionFn<A, T> {
    const run = (...args: A): T => this.runTransaction(() => work(...args));
    return Object.assign(run, { deferred: run, immediate: run, exclusive: run });
  }

  close(): void {
    this.open = false;
    this.bridge.close();
  }

  private runTransaction<T>(work: () => T): T {
    if (this.depth > 0) return this.inSavepoint(work);
    for (let attempt = 1; ; attempt++) {
      let committing = false;
      try {
        this.transactionConnection = this.bridge.query("BEGIN ISOLATION LEVEL SERIALIZABLE", []).connection;
        this.depth = 1;
        const result = work();
        committing = true;
        this.query("COMMIT", []);
        return result;
      } catch (e) {
        // A lost connection took the transaction with it (the server rolled it back); without a
        // BEGIN there is nothing to roll back either.
        if (this.transactionConnection !== undefined && !(e instanceof PgConnectionLostError)) this.rollbackQuietly();
        if (e instanceof PgConnectionLostError && committing && e.sent) {
          throw new PgCommitUnknownError(
            `the connection was lost while committing; the transaction may or may not have committed (${e.reason})`,
            e.code,
            "COMMIT",
          );
        }
        const attempts =
          e instanceof PgConnectionLostError
            ? ATTEMPTS_AFTER_CONNECTION_LOSS
            : e instanceof PgQueryError && e.code !== undefined
              ? (ATTEMPTS_AFTER[e.code] ?? 1)
              : 1;
        if (attempt < attempts) {
          // Only another instance's transaction, or a new connection, can be waited for here; this one holds nothing now.
          Atomics.wait(pause, 0, 0, Math.random() * RETRY_PAUSE_MS * 2 ** attempt);
          continue;
        }
        throw e;
      } finally {
        this.depth = 0;
        this.transactionConnection = undefined;
      }
    }
  }

  private rollbackQuietly(): void {
    try {
      this.query("ROLLBACK", []);
    } catch {
      // The connection is gone; the server rolled the transaction back itself.
    }
  }

  private inSavepoint<T>(work: () => T): T {
    const name = `sp${++this.savepoints}`;
    this.query(`SAVEPOINT ${name}`, []);
    this.depth++;
    try {
      const result = work();
      this.query(`RELEASE SAVEPOINT ${name}`, []);
      return result;
    } catch (e) {
      this.query(`ROLLBACK TO SAVEPOINT ${name}`, []);
      throw e;
    } finally {
      this.depth--;
    }
  }
}
