import { MessageChannel, type MessagePort, Worker, receiveMessageOnPort } from "node:worker_threads";
import { PgConnectionLostError, PgQueryError, PgUnavailableError } from "../sql/pg-errors.js";

export { PgConnectionLostError, PgQueryError, PgUnavailableError };

export type BridgeOptions = {
  url: string;
  /** Applied on the first connection, under an advisory lock shared by every instance. */
  migrationsFolder: string | null;
  /** Bounds every statement, so the event loop is never held longer than this by one query. */
  statementTimeoutMs: number;
  lockTimeoutMs: number;
};

export type QueryAnswer<R> = {
  rows: R[];
  rowCount: number;
  /** The worker's connection the statement ran on: pass it back to keep a transaction's statements on it. */
  connection: number;
};

type WorkerError = { message: string; code?: string; detail?: string; lost?: "before" | "after"; unreachable?: true };
type Answer = { id: number } & ({ rows: unknown[]; rowCount: number; connection: number } | { error: WorkerError });

/** The worker and what the caller shares with it. */
type WorkerHandle = {
  readonly worker: Worker;
  readonly port: MessagePort;
  /** [0]: raised by the worker when it posts an answer; [1]: its heartbeat counter; [2]: 1 once it is ending; [3]: 1 once it takes queries. */
  readonly shared: Int32Array;
  /** A worker started after another died: used only once it is connected. */
  readonly replacement: boolean;
};

/** Beyond the statement timeout: time to connect and, on the first query, to migrate. */
const CONNECT_AND_MIGRATE_MS = 60_000;
/** The worker's young generation (V8 semi-spaces and all), in MB. */
const WORKER_YOUNG_GENERATION_MB = 8;
/** How often the worker's event loop counts a heartbeat. */
const HEARTBEAT_MS = 100;
/**
 * A worker whose heartbeat stands still this long while a caller waits is taken for dead: its
 * 'exit' event cannot reach a main thread blocked in Atomics.wait, and a worker ended without
 * running its exit handler (terminated, out of memory) cannot raise the flag. Far above any pause of
 * a thread that only moves rows, far below the statement timeout.
 */
const WORKER_SILENT_MS = 3_000;
/** The same before its first heartbeat: loading pg and drizzle in a new thread may take seconds on a busy machine. */
const WORKER_START_MS = 30_000;
/** A replacement worker starts this long after the last one died, doubling up to the cap while they keep dying. */
const RESTART_FIRST_MS = 100;
const RESTART_MAX_MS = 5_000;

/**
 * Synchronous queries against PostgreSQL: a worker thread holds the pg connection, and the caller
 * blocks on a shared flag until it answers. The repositories are synchronous (better-sqlite3's
 * model: short transactions with no I/O inside), and this keeps them one code base on both
 * databases. The price is that each query holds the event loop for its round trip; see docs/operations/postgresql.md.
 *
 * A worker that exits or throws is replaced after a pause; meanwhile queries fail at once with
 * PgUnavailableError instead of waiting for an answer that cannot come.
 */
export class PgSyncBridge {
  private current: WorkerHandle | null;
  /** Why there is no worker, while a replacement is pending. */
  private downReason = "";
  private restartTimer: NodeJS.Timeout | null = null;
  private restartDelayMs = RESTART_FIRST_MS;
  private readonly waitMs: number;
  private closed = false;
  private lastId = 0;

  constructor(private readonly options: BridgeOptions) {
    this.waitMs = options.statementTimeoutMs + CONNECT_AND_MIGRATE_MS;
    this.current = this.start(false);
  }

  /**
   * Runs one statement. With `connection` (from an earlier answer) it runs on that connection or
   * not at all: a transaction's statements never reach a connection opened after its BEGIN.
   */
  query<R = Record<string, unknown>>(text: string, values: readonly unknown[], array = false, connection?: number): QueryAnswer<R> {
    if (this.closed) throw new PgQueryError("the database connection is closed", undefined, undefined);
    const handle = this.current;
    if (!handle || (handle.replacement && Atomics.load(handle.shared, 3) === 0))
      throw new PgUnavailableError(`${this.downReason}; a new one is starting`, undefined, text);
    const id = ++this.lastId;
    handle.port.postMessage({ id, text, values, array, connection });
    const deadline = Date.now() + this.waitMs;
    let beat = Atomics.load(handle.shared, 1);
    let beatSeenAt = Date.now();
    for (;;) {
      const received = receiveMessageOnPort(handle.port) as { message: Answer } | undefined;
      if (received) {
        // An answer to a query that timed out earlier arrives late: skipped.
        if (received.message.id !== id) continue;
        const answer = received.message;
        if ("error" in answer) throw errorOf(answer.error, text);
        this.restartDelayMs = RESTART_FIRST_MS;
        return answer as unknown as QueryAnswer<R>;
      }
      if (Atomics.load(handle.shared, 2) === 1) {
        this.replace(handle, "the PostgreSQL worker stopped");
        throw new PgConnectionLostError(this.downReason, true, undefined, text);
      }
      const now = Date.now();
      const left = deadline - now;
      if (left <= 0) throw new PgQueryError(`no answer from PostgreSQL within ${this.waitMs} ms`, undefined, undefined);
      const seen = Atomics.load(handle.shared, 1);
      if (seen !== beat) {
        beat = seen;
        beatSeenAt = now;
      } else if (now - beatSeenAt > (beat === 0 ? WORKER_START_MS : WORKER_SILENT_MS)) {
        this.replace(handle, `the PostgreSQL worker stopped answering for ${now - beatSeenAt} ms`);
        throw new PgConnectionLostError(this.downReason, true, undefined, text);
      }
      // Sleeps until the worker raises the flag (at once if it already has), then looks again.
      Atomics.wait(handle.shared, 0, 0, Math.min(left, WORKER_SILENT_MS / 2));
      Atomics.store(handle.shared, 0, 0);
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    const handle = this.current;
    this.current = null;
    if (handle) {
      handle.port.close();
      void handle.worker.terminate();
    }
  }

  private start(replacement: boolean): WorkerHandle {
    const flag = new SharedArrayBuffer(16);
    const { port1, port2 } = new MessageChannel();
    const { url, migrationsFolder, statementTimeoutMs, lockTimeoutMs } = this.options;
    const worker = new Worker(new URL("./pg-worker.mjs", import.meta.url), {
      workerData: { url, port: port2, flag, migrationsFolder, statementTimeoutMs, lockTimeoutMs, heartbeatMs: HEARTBEAT_MS, warm: replacement },
      transferList: [port2],
      // Plain JavaScript: it needs none of the parent's loaders or flags (a `-e` script among them,
      // which a worker cannot start with).
      execArgv: [],
      // Its heap only holds a statement's rows on their way through: a small young generation keeps
      // the process's peak memory near SQLite's (each V8 heap otherwise grows its own to tens of MB).
      resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB },
    });
    const handle: WorkerHandle = { worker, port: port1, shared: new Int32Array(flag), replacement };
    // Without an 'error' listener a throw in the worker would end the process.
    worker.on("error", (e) => this.replace(handle, `the PostgreSQL worker failed: ${e.message}`));
    worker.on("exit", (code) => this.replace(handle, `the PostgreSQL worker stopped (exit code ${code})`));
    // The worker never keeps the process alive on its own: close() ends it, and so does exit.
    worker.unref();
    port1.unref();
    return handle;
  }

  /** Drops a dead or silent worker (once) and starts another after the pause. */
  private replace(handle: WorkerHandle, reason: string): void {
    if (this.current !== handle) return;
    this.current = null;
    this.downReason = reason;
    handle.port.close();
    void handle.worker.terminate();
    if (this.closed) return;
    const delay = this.restartDelayMs;
    this.restartDelayMs = Math.min(delay * 2, RESTART_MAX_MS);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (!this.closed) this.current = this.start(true);
    }, delay);
    this.restartTimer.unref();
  }
}

function errorOf(error: WorkerError, statement: string): PgQueryError {
  if (error.lost) return new PgConnectionLostError(error.message, error.lost === "after", error.code, statement);
  if (error.unreachable) return new PgUnavailableError(error.message, error.code, statement);
  return new PgQueryError(error.message, error.code, error.detail, statement);
}
