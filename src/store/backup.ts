import { existsSync, renameSync, rmSync, statSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { DomainError } from "../lib/errors.js";
import type { DatabaseTarget } from "../config/config.js";
import { type Store, openPgUnmigrated } from "./database.js";
import { PgQueryError } from "./pg-sync/sync-bridge.js";

/**
 * `backup create` and `backup verify` are SQLite's (its backup API and integrity_check). A PostgreSQL
 * database is backed up with PostgreSQL's own tools; what the gateway needs after their restore is
 * `backup after-restore`, which is SQL and runs on both.
 */
const ON_POSTGRES =
  "DATABASE_URL is PostgreSQL: back it up with pg_dump -Fc, or pg_basebackup with WAL archiving; after restoring, run `npm run cli -- backup after-restore` (docs/operations/backups.md)";

export function refuseOnPostgres(store: Store, verb: "create" | "verify"): void {
  if (store.dialect === "postgres") throw new BackupError("unsupported", `backup ${verb} makes and checks SQLite backups only; ${ON_POSTGRES}`);
}

/**
 * Online backups with SQLite's backup API: a page-by-page copy of a consistent snapshot, taken
 * while the gateway keeps writing (a write from another connection restarts the copy). Written to
 * FILE.partial first and renamed, so FILE is only ever a whole backup.
 */
export async function backupStore(store: Store, file: string): Promise<{ file: string; bytes: number; pages: number }> {
  refuseOnPostgres(store, "create");
  if (existsSync(file)) throw new BackupError("exists", `${file} already exists; choose a new file (a backup never overwrites)`);
  refuseUnwritableFolder(file);
  const partial = `${file}.partial`;
  try {
    rmSync(partial, { force: true });
    const { totalPages } = await store.connection.backup(partial);
    renameSync(partial, file);
    return { file, bytes: statSync(file).size, pages: totalPages };
  } catch (e) {
    try {
      rmSync(partial, { force: true });
    } catch {
      // The write already failed; that failure is the one to report.
    }
    if (isWriteFailure(e)) throw new BackupError("unwritable", `cannot write ${file}: ${e.message}`);
    throw e;
  }
}

/** Checked before the copy starts: better-sqlite3 reports a missing folder as a TypeError, and a long copy should not fail at its end. */
function refuseUnwritableFolder(file: string): void {
  const folder = dirname(file);
  let isFolder: boolean;
  try {
    isFolder = statSync(folder).isDirectory();
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code === "ENOENT" ? "does not exist" : `cannot be read (${(e as Error).message})`;
    throw new BackupError("unwritable", `cannot write ${file}: the folder ${folder} ${reason}`);
  }
  if (!isFolder) throw new BackupError("unwritable", `cannot write ${file}: ${folder} is not a folder`);
}

/** SQLite's codes for a file it cannot open or write (SQLITE_IOERR_WRITE and its kin included), and the fs errors of the partial's rename or removal. */
const WRITE_FAILURE_CODE = /^(SQLITE_(CANTOPEN|READONLY|IOERR|FULL)(_\w+)?|E[A-Z]+)$/;

function isWriteFailure(e: unknown): e is Error {
  if (e instanceof Database.SqliteError) return WRITE_FAILURE_CODE.test(e.code);
  const errno = e as NodeJS.ErrnoException;
  return e instanceof Error && typeof errno.syscall === "string" && typeof errno.code === "string" && WRITE_FAILURE_CODE.test(errno.code);
}

type BackupErrorKind = "exists" | "not_found" | "invalid" | "unsupported" | "unwritable";

export class BackupError extends DomainError {
  override readonly name = "BackupError";
  declare readonly kind: BackupErrorKind;
  constructor(kind: BackupErrorKind, message: string) {
    super(kind, message);
  }
}

/** `PRAGMA integrity_check`: ["ok"] or the problems found. */
export function integrityCheck(store: Store): string[] {
  return (store.connection.pragma("integrity_check") as Array<{ integrity_check: string }>).map((r) => r.integrity_check);
}

/** Rows in every table of the store (SQLite's own and drizzle's bookkeeping left out). */
export function tableCounts(store: Store): Record<string, number> {
  const tables = store.connection
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '__drizzle%' ORDER BY name")
    .pluck()
    .all() as string[];
  const counts: Record<string, number> = {};
  for (const table of tables) counts[table] = Number(store.connection.prepare(`SELECT COUNT(*) FROM "${table}"`).pluck().get());
  return counts;
}

/** The hash of one audit row, to tell whether a backup's chain is a prefix of the source's. */
export function auditHashAt(store: Store, id: number): string | null {
  return (store.connection.prepare("SELECT hash FROM audit_log WHERE id = ?").pluck().get(id) as string | undefined) ?? null;
}

/**
 * A restored database is used by no process yet, so every lease in it belongs to a process that
 * wrote to the replaced one: released, or the first runs would wait out the lease period (and a
 * supplier's call slots their short leases). Runs that were in progress when the backup was made
 * never finish there: closed as partial, saying why. The same SQL on SQLite and PostgreSQL.
 */
export function settleRestored(target: Store, now: number): { leases: number; orderLeases: number; callSlots: number; runsClosed: number } {
  return target.connection
    .transaction(() => {
      const leases = target.connection.prepare("DELETE FROM sync_leases").run().changes;
      const orderLeases = target.connection.prepare("UPDATE orders SET lease_owner = NULL, lease_until = NULL WHERE lease_owner IS NOT NULL").run().changes;
      const callSlots = target.connection.prepare("UPDATE supplier_call_slots SET holder = NULL, lease_until = 0 WHERE holder IS NOT NULL").run().changes;
      const error = JSON.stringify([
        { at: new Date(now).toISOString(), kind: "restore", message: "in progress when the backup was made; the database was restored from that backup" },
      ]);
      const runsClosed = target.connection
        .prepare("UPDATE sync_runs SET status = 'partial', ended_at = ?, errors_json = ? WHERE status = 'running'")
        .run(now, error).changes;
      return { leases, orderLeases, callSlots, runsClosed };
    })
    .immediate();
}

/** The replaced database, read as it is: a SQLite file opened read-only, or a PostgreSQL database left unmigrated. */
function openReplaced(from: DatabaseTarget): { connection: Database.Database; name: string } {
  if (from.kind === "sqlite") {
    if (!existsSync(from.path)) throw new BackupError("not_found", `${from.path} does not exist`);
    let connection: Database.Database | undefined;
    try {
      connection = new Database(from.path, { readonly: true, fileMustExist: true });
      connection.prepare("SELECT 1 FROM message_inbox LIMIT 1").get();
    } catch (e) {
      connection?.close();
      if (!(e instanceof Database.SqliteError)) throw e;
      throw new BackupError("invalid", `${from.path} is not a gateway database: ${e.message}`);
    }
    return { connection, name: from.path };
  }
  const { connection, name } = openPgUnmigrated(from.url);
  try {
    connection.prepare("SELECT 1 FROM message_inbox LIMIT 1").get();
  } catch (e) {
    connection.close();
    throw new BackupError("not_found", `${name} cannot be read: ${e instanceof PgQueryError ? e.reason : String(e)}`);
  }
  return { connection, name };
}

/**
 * After a restore: the messages an older copy of the database (the one replaced) took from the
 * suppliers' pools after the backup was made. They are gone from the pools, so this is the only
 * place they still exist. They go back into the restored inbox as pending — applying re-reads the
 * supplier's current state, so one applied before and again now changes nothing twice — and a
 * message the restored inbox already knows is left as it is (keyed by supplier and message id).
 * The replaced database may be a SQLite file or, after a PostgreSQL restore, the database renamed aside.
 */
export function carryInboxFrom(target: Store, from: DatabaseTarget, now: number): { from: string; carried: number; known: number; unknownSupplier: number } {
  const { connection: old, name } = openReplaced(from);
  try {
    const insert = target.connection.prepare(
      "INSERT INTO message_inbox (supplier_id, message_id, type, sku, state, payload_json, message_time, status, attempts, next_attempt_at, received_at, deleted_at) " +
        "VALUES (@supplier_id, @message_id, @type, @sku, @state, @payload_json, @message_time, 'pending', 0, @now, @received_at, @deleted_at) " +
        "ON CONFLICT (supplier_id, message_id) DO NOTHING",
    );
    // Read in full before the transaction: PostgreSQL may run its body again from the start (a
    // serialization failure), and each run must go through every message, not what an iterator has left.
    const rows = old
      .prepare("SELECT supplier_id, message_id, type, sku, state, payload_json, message_time, received_at, deleted_at FROM message_inbox ORDER BY seq")
      .all() as Array<Record<string, unknown>>;
    // Counted inside the body, so the answer is the run that committed.
    const counts = target.connection
      .transaction(() => {
        const suppliers = new Set(target.connection.prepare("SELECT id FROM suppliers").pluck().all() as number[]);
        let carried = 0;
        let known = 0;
        let unknownSupplier = 0;
        for (const row of rows) {
          if (!suppliers.has(row.supplier_id as number)) {
            unknownSupplier += 1;
            continue;
          }
          if (insert.run({ ...row, now }).changes === 1) carried += 1;
          else known += 1;
        }
        return { carried, known, unknownSupplier };
      })
      .immediate();
    return { from: name, ...counts };
  } finally {
    old.close();
  }
}
