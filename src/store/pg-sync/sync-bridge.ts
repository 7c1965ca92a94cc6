import { MessageChannel, type MessagePort, Worker, receiveMessageOnPort } from "node:worker_threads";

/** A PostgreSQL error as the repositories see it: SQLSTATE `code` (23505 unique violation, 40001 …). */
export class PgQueryError extends Error {
  override readonly name = "PgQueryError";
  constructor(
    /** What PostgreSQL (or the connection) said, without the statement. */
    readonly reason: string,
    readonly code: string | undefined,
    readonly detail: string | undefined,
    /** The statement's text (never its values), for the log. */
    readonly statement?: string,
  ) {
    super(statement ? `${reason} (in: ${statement.length > 300 ? `${statement.slice(0, 300)}…` : statement})` : reason);
  }
}

export type BridgeOptions = {
  url: string;
  /** Applied on the first connection, under an advisory lock shared by every instance. */
  migrationsFolder: string | null;
  /** Bounds every statement, so the event loop is never held longer than this by one query. */
  statementTimeoutMs: number;
  lockTimeoutMs: number;
};

type Answer = { id: number } & ({ rows: unknown[]; rowCount: number } | { error: { message: string; code?: string; detail?: string } });

/** Beyond the statement timeout: time to connect and, on the first query, to migrate. */
const CONNECT_AND_MIGRATE_MS = 60_000;
/** The worker's young generation (V8 semi-spaces and all), in MB. */
const WORKER_YOUNG_GENERATION_MB = 8;

/**
 * Synchronous queries against PostgreSQL: a worker thread holds the pg connection, and the caller
 * blocks on a shared flag until it answers. The repositories are synchronous (better-sqlite3's
 * model: short transactions with no I/O inside), and this keeps them one code base on both
 * databases. The price is that each query holds the event loop for its round trip; see docs/operations/postgresql.md.
 */
export class PgSyncBridge {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly wake: Int32Array;
  private readonly waitMs: number;
  private closed = false;
  private lastId = 0;

  constructor(options: BridgeOptions) {
    const flag = new SharedArrayBuffer(4);
    this.wake = new Int32Array(flag);
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.waitMs = options.statementTimeoutMs + CONNECT_AND_MIGRATE_MS;
    this.worker = new Worker(new URL("./pg-worker.mjs", import.meta.url), {
      workerData: { url: options.url, port: port2, flag, migrationsFolder: options.migrationsFolder, statementTimeoutMs: options.statementTimeoutMs, lockTimeoutMs: options.lockTimeoutMs },
      transferList: [port2],
      // Plain JavaScript: it needs none of the parent's loaders or flags (a `-e` script among them,
      // which a worker cannot start with).
      execArgv: [],
      // Its heap only holds a statement's rows on their way through: a small young generation keeps
      // the process's peak memory near SQLite's (each V8 heap otherwise grows its own to tens of MB).
      resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB },
    });
    // The worker never keeps the process alive on its own: close() ends it, and so does exit.
    this.worker.unref();
    this.port.unref();
  }

  query<R = Record<string, unknown>>(text: string, values: readonly unknown[], array = false): { rows: R[]; rowCount: number } {
    if (this.closed) throw new PgQueryError("the database connection is closed", undefined, undefined);
    const id = ++this.lastId;
    this.port.postMessage({ id, text, values, array });
    const deadline = Date.now() + this.waitMs;
    for (;;) {
      const received = receiveMessageOnPort(this.port) as { message: Answer } | undefined;
      if (received) {
        // An answer to a query that timed out earlier arrives late: skipped.
        if (received.message.id !== id) continue;
        const answer = received.message;
        if ("error" in answer) throw new PgQueryError(answer.error.message, answer.error.code, answer.error.detail, text);
        return answer as unknown as { rows: R[]; rowCount: number };
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new PgQueryError(`no answer from PostgreSQL within ${this.waitMs} ms`, undefined, undefined);
      // Sleeps until the worker raises the flag (at once if it already has), then looks again.
      Atomics.wait(this.wake, 0, 0, left);
      Atomics.store(this.wake, 0, 0);
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.port.close();
    void this.worker.terminate();
  }
}
