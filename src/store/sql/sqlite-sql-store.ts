import type Database from "better-sqlite3";
import { unheardChanges } from "./change-feed.js";
import { type Row, type SqlStore, type Transaction, type TransactionOptions, TransactionOverError, runEffects, transactionBodies } from "./sql-store.js";

/** Prepared statements kept per connection: a statement is prepared once and run many times. */
const STATEMENT_CACHE_SIZE = 200;
/** A body holding the writer longer than this is logged: it is doing more than database work. */
const SLOW_BODY_MS = 1_000;

/**
 * The asynchronous store over better-sqlite3, the embedded default. SQLite has one writer, and a
 * connection has one transaction: a transaction takes the connection for the whole of its body
 * (BEGIN IMMEDIATE … COMMIT), and every other statement of this store waits until it is over, so
 * no statement of another caller lands inside it. Each statement itself runs synchronously, as
 * better-sqlite3 does, and only for its own duration.
 *
 * A body awaits only its own statements, which SQLite answers at once, so the whole transaction
 * runs within the event-loop turn that began it (its awaits are microtasks): only work continuing in
 * that same turn could interleave, never a request or a timer that comes later. The connection
 * itself is used directly only for SQLite's own upkeep (WAL checkpoints, online backups, integrity
 * checks), none of which writes.
 */
export function openSqliteSqlStore(connection: Database.Database, onSlowBody?: (ms: number) => void): SqlStore {
  const statements = new Map<string, Database.Statement>();
  const prepare = (text: string): Database.Statement => {
    let statement = statements.get(text);
    if (!statement) {
      if (statements.size >= STATEMENT_CACHE_SIZE) statements.delete(statements.keys().next().value as string);
      statement = connection.prepare(text);
      statements.set(text, statement);
    }
    return statement;
  };
  const all = <R>(text: string, values: readonly unknown[]): R[] => {
    const statement = prepare(text);
    // better-sqlite3 refuses all() on a statement that returns nothing: such a statement is run.
    if (!statement.reader) {
      statement.run(...values.map(toParameter));
      return [];
    }
    return statement.all(...values.map(toParameter)) as R[];
  };
  const run = (text: string, values: readonly unknown[]): number => prepare(text).run(...values.map(toParameter)).changes;

  const bodies = transactionBodies();
  /** The open transaction's end: every statement outside it waits for this. */
  let writer: Promise<void> = Promise.resolve();
  const idle = async () => {
    for (let seen = writer; ; seen = writer) {
      await seen;
      if (seen === writer) return;
    }
  };

  return {
    dialect: "sqlite",
    async all<R = Row>(text: string, values: readonly unknown[] = []) {
      bodies.refuseInside(text);
      await idle();
      return all<R>(text, values);
    },
    async get<R = Row>(text: string, values: readonly unknown[] = []) {
      bodies.refuseInside(text);
      await idle();
      return all<R>(text, values)[0];
    },
    async run(text: string, values: readonly unknown[] = []) {
      bodies.refuseInside(text);
      await idle();
      return run(text, values);
    },
    afterCommit: (effect) => effect(),
    changes: unheardChanges(),
    async transaction<T>(work: (tx: Transaction) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
      bodies.refuseInside("BEGIN");
      // Queue behind the transaction before us; ours is the one everything after us waits for.
      const before = writer;
      let release: () => void = () => undefined;
      writer = new Promise<void>((resolve) => (release = resolve));
      try {
        await before;
        let open = true;
        const committed: Array<() => void> = [];
        let didCommit = false;
        const guard = (text: string) => {
          if (!open) throw new TransactionOverError(text);
        };
        const tx: Transaction = {
          dialect: "sqlite",
          all: async <R = Row>(text: string, values: readonly unknown[] = []) => (guard(text), all<R>(text, values)),
          get: async <R = Row>(text: string, values: readonly unknown[] = []) => (guard(text), all<R>(text, values)[0]),
          run: async (text, values = []) => (guard(text), run(text, values)),
          afterCommit: (effect) => void committed.push(effect),
        };
        const started = performance.now();
        // Set outside the transaction (SQLite reads it at COMMIT) and put back after it, whatever happens.
        if (options.durable) connection.pragma("synchronous = FULL");
        try {
          connection.prepare("BEGIN IMMEDIATE").run();
        } catch (e) {
          if (options.durable) connection.pragma("synchronous = NORMAL");
          throw e;
        }
        try {
          const result = await bodies.run(() => work(tx));
          connection.prepare("COMMIT").run();
          didCommit = true;
          return result;
        } catch (e) {
          if (connection.inTransaction) connection.prepare("ROLLBACK").run();
          throw e;
        } finally {
          open = false;
          if (options.durable) connection.pragma("synchronous = NORMAL");
          const ms = performance.now() - started;
          if (ms > SLOW_BODY_MS) onSlowBody?.(ms);
          if (didCommit) runEffects(committed);
        }
      } finally {
        release();
      }
    },
    async ping() {
      try {
        connection.prepare("SELECT 1").get();
        return true;
      } catch {
        return false;
      }
    },
    async close() {
      // The connection belongs to the caller that opened it.
      statements.clear();
    },
  };
}

function toParameter(value: unknown): unknown {
  if (typeof value === "boolean") return value ? 1 : 0;
  return value;
}
