import { existsSync, renameSync, rmSync, statSync } from "node:fs";
import { dirname } from "node:path";
import Database from "better-sqlite3";
import { DomainError } from "../lib/errors.js";
import type { DatabaseTarget } from "../config/config.js";
import { type Store, openPgUnmigratedPool } from "./database.js";
import { bulkInsert, rowInsert } from "./repos/bulk-rows.js";
import { messageInbox } from "./schema/index.js";
import { PgQueryError } from "./sql/pg-errors.js";
import type { Transaction } from "./sql/sql-store.js";

/**
 * `backup create` and `backup verify` are SQLite's (its backup API and integrity_check). A PostgreSQL
 * database is backed up with PostgreSQL's own tools; what the gateway needs after their restore is
 * `backup after-restore`, which is SQL and runs on both, on the asynchronous store.
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
    const { totalPages } = await sqliteConnection(store).backup(partial);
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

/**
 * better-sqlite3's own connection of a SQLite store: the backup API and the checks below are
 * SQLite's, and never run on PostgreSQL (whose store has no such connection).
 */
function sqliteConnection(store: Store): Database.Database {
  if (store.dialect !== "sqlite") throw new BackupError("unsupported", `SQLite backups only; ${ON_POSTGRES}`);
  return store.connection;
}

/** `PRAGMA integrity_check`: ["ok"] or the problems found. */
export function integrityCheck(store: Store): string[] {
  return (sqliteConnection(store).pragma("integrity_check") as Array<{ integrity_check: string }>).map((r) => r.integrity_check);
}

/** Rows in every table of the store (SQLite's own and drizzle's bookkeeping left out). */
export function tableCounts(store: Store): Record<string, number> {
  const connection = sqliteConnection(store);
  const tables = connection
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '__drizzle%' ORDER BY name")
    .pluck()
    .all() as string[];
  const counts: Record<string, number> = {};
  for (const table of tables) counts[table] = Number(connection.prepare(`SELECT COUNT(*) FROM "${table}"`).pluck().get());
  return counts;
}

/** The hash of one audit row, to tell whether a backup's chain is a prefix of the source's. */
export function auditHashAt(store: Store, id: number): string | null {
  return (sqliteConnection(store).prepare("SELECT hash FROM audit_log WHERE id = ?").pluck().get(id) as string | undefined) ?? null;
}

/**
 * A restored database is used by no process yet, so every lease in it belongs to a process that
 * wrote to the replaced one: released, or the first runs would wait out the lease period (and a
 * supplier's call slots their short leases). Runs that were in progress when the backup was made
 * never finish there: closed as partial, saying why. Written inside the caller's transaction.
 */
export async function settleRestored(tx: Transaction, now: number): Promise<{ leases: number; orderLeases: number; callSlots: number; runsClosed: number }> {
  const S = tx.dialect === "postgres" ? RESTORE.postgres : RESTORE.sqlite;
  const leases = await tx.run(S.dropSyncLeases);
  const orderLeases = await tx.run(S.dropOrderLeases);
  const callSlots = await tx.run(S.freeCallSlots);
  const error = JSON.stringify([
    { at: new Date(now).toISOString(), kind: "restore", message: "in progress when the backup was made; the database was restored from that backup" },
  ]);
  const runsClosed = await tx.run(S.closeRuns, [now, error]);
  return { leases, orderLeases, callSlots, runsClosed };
}

/** A message of the replaced database's inbox, as it goes back into the restored one. */
type ReplacedMessage = {
  supplierId: number;
  messageId: string;
  type: number;
  sku: string;
  state: number | null;
  payloadJson: string;
  messageTime: string;
  receivedAt: number;
  deletedAt: number | null;
};

/** The replaced database's inbox, read whole before anything of the restored one changes. `from` names it (a URL without its password). */
export type ReplacedInbox = { readonly from: string; readonly rows: readonly ReplacedMessage[] };

/** The same on both databases: no placeholder, and quoted aliases keep their case on PostgreSQL. */
const REPLACED_INBOX =
  'SELECT supplier_id AS "supplierId", message_id AS "messageId", type, sku, state, payload_json AS "payloadJson", message_time AS "messageTime", ' +
  'received_at AS "receivedAt", deleted_at AS "deletedAt" FROM message_inbox ORDER BY seq';

/** Messages one insert carries on PostgreSQL: one round trip each, a few hundred kilobytes of JSON at most. */
const CARRY_CHUNK_ROWS = 500;
const CARRIED_KEYS = [
  "supplierId",
  "messageId",
  "type",
  "sku",
  "state",
  "payloadJson",
  "messageTime",
  "status",
  "attempts",
  "nextAttemptAt",
  "receivedAt",
  "deletedAt",
] as const;

const RESTORE = {
  sqlite: {
    dropSyncLeases: "DELETE FROM sync_leases",
    dropOrderLeases: "UPDATE orders SET lease_owner = NULL, lease_until = NULL WHERE lease_owner IS NOT NULL",
    freeCallSlots: "UPDATE supplier_call_slots SET holder = NULL, lease_until = 0 WHERE holder IS NOT NULL",
    closeRuns: "UPDATE sync_runs SET status = 'partial', ended_at = ?, errors_json = ? WHERE status = 'running'",
    suppliers: "SELECT id FROM suppliers",
    /** One message a statement: SQLite's prepared statement costs no round trip. */
    carry: rowInsert(messageInbox, CARRIED_KEYS, "ON CONFLICT (supplier_id, message_id) DO NOTHING"),
  },
  postgres: {
    dropSyncLeases: "DELETE FROM sync_leases",
    dropOrderLeases: "UPDATE orders SET lease_owner = NULL, lease_until = NULL WHERE lease_owner IS NOT NULL",
    freeCallSlots: "UPDATE supplier_call_slots SET holder = NULL, lease_until = 0 WHERE holder IS NOT NULL",
    closeRuns: "UPDATE sync_runs SET status = 'partial', ended_at = $1, errors_json = $2 WHERE status = 'running'",
    suppliers: "SELECT id FROM suppliers",
    /** A chunk a statement; a row comes back for each message carried, none for one already known. */
    carry: bulkInsert(messageInbox, CARRIED_KEYS, "ON CONFLICT (supplier_id, message_id) DO NOTHING RETURNING seq"),
  },
};

/**
 * The replaced database, read as it is: a SQLite file opened read-only, or a PostgreSQL database
 * left unmigrated on a pool of its own, closed once its inbox is read. Nothing of the restored
 * database has changed yet when this fails.
 */
export async function readReplacedInbox(from: DatabaseTarget): Promise<ReplacedInbox> {
  if (from.kind === "sqlite") {
    if (!existsSync(from.path)) throw new BackupError("not_found", `${from.path} does not exist`);
    let connection: Database.Database | undefined;
    try {
      connection = new Database(from.path, { readonly: true, fileMustExist: true });
      connection.prepare("SELECT 1 FROM message_inbox LIMIT 1").get();
      return { from: from.path, rows: connection.prepare(REPLACED_INBOX).all() as ReplacedMessage[] };
    } catch (e) {
      if (!(e instanceof Database.SqliteError)) throw e;
      throw new BackupError("invalid", `${from.path} is not a gateway database: ${e.message}`);
    } finally {
      connection?.close();
    }
  }
  const { sql, name } = openPgUnmigratedPool(from.url);
  try {
    return { from: name, rows: await sql.all<ReplacedMessage>(REPLACED_INBOX) };
  } catch (e) {
    throw new BackupError("not_found", `${name} cannot be read: ${e instanceof PgQueryError ? e.reason : String(e)}`);
  } finally {
    await sql.close();
  }
}

/**
 * After a restore: the messages an older copy of the database (the one replaced) took from the
 * suppliers' pools after the backup was made. They are gone from the pools, so this is the only
 * place they still exist. They go back into the restored inbox as pending — applying re-reads the
 * supplier's current state, so one applied before and again now changes nothing twice — and a
 * message the restored inbox already knows is left as it is (keyed by supplier and message id).
 * Written inside the caller's transaction, which PostgreSQL may run again from its start (a
 * serialization failure): each run goes through every message read, and counts only its own work,
 * so the answer is the run that committed.
 */
export async function carryInbox(tx: Transaction, replaced: ReplacedInbox, now: number): Promise<{ carried: number; known: number; unknownSupplier: number }> {
  const suppliers = new Set((await tx.all<{ id: number }>(RESTORE[tx.dialect].suppliers)).map((r) => Number(r.id)));
  const rows = replaced.rows
    .filter((row) => suppliers.has(Number(row.supplierId)))
    .map((row) => ({ ...row, status: "pending", attempts: 0, nextAttemptAt: now }));
  let carried = 0;
  if (tx.dialect === "postgres") {
    const { carry } = RESTORE.postgres;
    for (let i = 0; i < rows.length; i += CARRY_CHUNK_ROWS) carried += (await tx.all(carry.sql, [carry.json(rows.slice(i, i + CARRY_CHUNK_ROWS))])).length;
  } else {
    const { carry } = RESTORE.sqlite;
    for (const row of rows) carried += await tx.run(carry.sql, carry.values(row));
  }
  return { carried, known: rows.length - carried, unknownSupplier: replaced.rows.length - rows.length };
}
