import { AsyncLocalStorage } from "node:async_hooks";
import type { ChangeFeed } from "./change-feed.js";

/**
 * The asynchronous store: statements written for their database (`?` placeholders on SQLite, `$1`
 * on PostgreSQL), no SQL rewritten on the way. Two implementations: better-sqlite3 (the embedded
 * default, sqlite-sql-store.ts) and a pg.Pool (pg-pool-store.ts).
 *
 * A transaction is `store.transaction(async (tx) => …)`: every statement of the body goes through
 * `tx`, and the body gets nothing else from the store. It does only database work, never a supplier
 * call or file I/O: the handle is all it is given, PostgreSQL ends a session left idle inside a
 * transaction (idle_in_transaction_session_timeout) so a body that waits on anything else loses its
 * transaction instead of holding locks, and SQLite logs a body that holds the writer too long.
 * On PostgreSQL a body may run more than once (a serialisation failure, a lost connection): it
 * must not change anything outside the database, and it must read what it decides on through `tx`.
 */
export type Row = Record<string, unknown>;

/** Statements on one database: the store itself (each statement on its own) or a transaction's handle. */
export type SqlRunner = {
  readonly dialect: "sqlite" | "postgres";
  /** Every row the statement returns. */
  all<R = Row>(text: string, values?: readonly unknown[]): Promise<R[]>;
  /** The first row, if any. */
  get<R = Row>(text: string, values?: readonly unknown[]): Promise<R | undefined>;
  /** Runs a statement for its effect: the number of rows it changed. */
  run(text: string, values?: readonly unknown[]): Promise<number>;
  /**
   * Runs `effect` once what went through this runner is committed: at once on the store itself
   * (each statement commits on its own), after COMMIT for a transaction's handle, never for one that
   * rolls back. For what must follow a commit in memory, never for more database work.
   */
  afterCommit(effect: () => void): void;
};

export type TransactionOptions = {
  /**
   * On disk, not only in the log, when the promise resolves: for what the caller is about to make
   * unrecoverable elsewhere (a message page before S-3 deletes it at the supplier). SQLite commits it
   * at synchronous=FULL; PostgreSQL's commits are all durable (synchronous_commit).
   */
  durable?: boolean;
};

/** A transaction's handle: valid until its body returns; a statement through it afterwards is refused. */
export type Transaction = SqlRunner;

export type SqlStore = SqlRunner & {
  /** Runs `work` in one transaction: all of its statements land, or none of them. */
  transaction<T>(work: (tx: Transaction) => Promise<T>, options?: TransactionOptions): Promise<T>;
  /** True when the database answers a trivial statement now (for /readyz). */
  ping(): Promise<boolean>;
  /** What the hot path keeps in memory while the database says it is unchanged (change-feed.ts). */
  readonly changes: ChangeFeed;
  close(): Promise<void>;
};

/** A statement through a handle whose transaction has ended: a bug in the caller, never retried. */
export class TransactionOverError extends Error {
  override readonly name = "TransactionOverError";
  constructor(statement: string) {
    super(`statement sent through a transaction that has already ended: ${statement.slice(0, 120)}`);
  }
}

/**
 * A statement or a transaction sent to the store itself from inside a transaction body: it would
 * run outside that transaction (on SQLite it would wait for the body's own transaction to end, for
 * ever). A bug in the caller, never retried: the body sends it through its `tx`.
 */
export class OutsideTransactionError extends Error {
  override readonly name = "OutsideTransactionError";
  constructor(statement: string) {
    super(`sent to the store from inside a transaction body instead of through its tx: ${statement.slice(0, 120)}`);
  }
}

/**
 * Tells when the code running now is inside one of this store's transaction bodies (an
 * AsyncLocalStorage per store), so the store refuses what a body sends past its handle.
 */
export function transactionBodies(): { run<T>(body: () => Promise<T>): Promise<T>; refuseInside(statement: string): void } {
  const inside = new AsyncLocalStorage<true>();
  return {
    run: (body) => inside.run(true, body),
    refuseInside(statement) {
      if (inside.getStore()) throw new OutsideTransactionError(statement);
    },
  };
}

/** Each effect on its own: one that throws (a bug) neither undoes the commit nor skips the others. */
export function runEffects(effects: ReadonlyArray<() => void>): void {
  for (const effect of effects) {
    try {
      effect();
    } catch {
      // Effects drop in-memory copies; the commit stands whatever one of them does.
    }
  }
}
