import { existsSync } from "node:fs";
import Database from "better-sqlite3";
import { type AuditVerdict, createAuditTrail } from "../admin/audit-trail.js";
import { BackupError, auditHashAt, integrityCheck, refuseOnPostgres, tableCounts } from "../store/backup.js";
import { type Store, openStoreReadOnly } from "../store/database.js";
import { createAuditRepo } from "../store/repos/audit-repo.js";
import type { AuditKeys } from "../security/audit-keys.js";

/**
 * Tables that only grow: the source can never hold fewer rows than a backup of it. Not
 * price_history: retention compacts its older days to a row per sku (src/retention).
 */
const APPEND_ONLY = new Set(["audit_log", "order_events", "orders", "suppliers"]);

/** Tables every gateway database has: without them the file is some other SQLite database, not a backup. */
const GATEWAY_TABLES = ["audit_log", "message_inbox"];

export type TableComparison = { table: string; backup: number; source: number | null; difference: number | null };
export type BackupVerdict = {
  ok: boolean;
  file: string;
  integrity: string[];
  /** Null when the audit log could not be read at all (the problems say why). */
  audit: AuditVerdict | null;
  /** The backup's audit chain is the start of the source's: it is a backup of this database. */
  sameSource: boolean | null;
  tables: TableComparison[];
  problems: string[];
};

/**
 * `backup verify FILE`: SQLite's integrity_check on the file, the audit hash chain walked from its
 * first row, and every table's rows against the source (the database the gateway uses now, which
 * has moved on since: more rows there is expected, fewer in an append-only table is not).
 */
export async function verifyBackup(file: string, source: Store | null, auditKeys: AuditKeys): Promise<BackupVerdict> {
  if (source) refuseOnPostgres(source, "verify");
  if (!existsSync(file)) throw new BackupError("not_found", `${file} does not exist`);
  let backup: Store;
  try {
    backup = openStoreReadOnly(file);
  } catch (e) {
    throw new BackupError("invalid", `${file} is not a SQLite database: ${e instanceof Error ? e.message : String(e)}`);
  }
  let present: Set<string>;
  try {
    // SQLite reads the header only on the first statement.
    present = new Set(backup.connection.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[]);
  } catch (e) {
    backup.close();
    throw new BackupError("invalid", `${file} is not a SQLite database: ${e instanceof Error ? e.message : String(e)}`);
  }
  const missing = GATEWAY_TABLES.filter((t) => !present.has(t));
  if (missing.length > 0) {
    backup.close();
    throw new BackupError("invalid", `${file} is not a gateway database: it has no ${missing.join(" or ")} table`);
  }
  try {
    const problems: string[] = [];
    // A damaged file fails reads past its first page: each check that cannot read it is a problem
    // of the verdict, and the checks after it still run, so the operator sees all that is wrong.
    const attempt = async <T>(what: string, step: () => T | Promise<T>): Promise<T | null> => {
      try {
        return await step();
      } catch (e) {
        if (!(e instanceof Database.SqliteError)) throw e;
        problems.push(`cannot read ${what}: ${e.message}`);
        return null;
      }
    };
    let integrity: string[];
    try {
      integrity = integrityCheck(backup);
    } catch (e) {
      if (!(e instanceof Database.SqliteError)) throw e;
      // What SQLite says of the damage, as integrity_check's own rows would.
      integrity = [e.message];
    }
    if (integrity.length !== 1 || integrity[0] !== "ok") problems.push(`integrity_check: ${integrity.slice(0, 5).join("; ")}`);
    const audit = await attempt("the audit log", () => createAuditTrail(createAuditRepo(backup.sql), Date.now, auditKeys).verify());
    if (audit && !audit.ok) problems.push(`audit chain broken at row ${audit.brokenAt}: ${audit.reason}`);
    const counts = (await attempt("the row counts", () => tableCounts(backup))) ?? {};
    const sourceCounts = source ? tableCounts(source) : null;
    let sameSource: boolean | null = null;
    if (source && audit?.ok && audit.rows > 0) {
      // Wrapped: a source without that row (hash null) is an answer, a read that failed is not.
      const sourceRow = await attempt(`the source's audit row ${audit.rows}`, () => ({ hash: auditHashAt(source, audit.rows) }));
      if (sourceRow) {
        sameSource = sourceRow.hash === audit.head;
        if (!sameSource)
          problems.push(`the source's audit row ${audit.rows} differs from the backup's head: not a backup of this database, or the source's log was changed`);
      }
    }
    const tables = Object.entries(counts).map(([table, n]): TableComparison => {
      const s = sourceCounts ? (sourceCounts[table] ?? 0) : null;
      if (s !== null && APPEND_ONLY.has(table) && s < n) problems.push(`${table}: the source holds ${s} rows, fewer than the backup's ${n}`);
      return { table, backup: n, source: s, difference: s === null ? null : s - n };
    });
    return { ok: problems.length === 0, file, integrity, audit, sameSource, tables, problems };
  } finally {
    backup.close();
  }
}
