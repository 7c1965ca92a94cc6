import { existsSync } from "node:fs";
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

export type TableComparison = { table: string; backup: number; source: number | null; difference: number | null };
export type BackupVerdict = {
  ok: boolean;
  file: string;
  integrity: string[];
  audit: AuditVerdict;
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
export function verifyBackup(file: string, source: Store | null, auditKeys: AuditKeys): BackupVerdict {
  if (source) refuseOnPostgres(source, "verify");
  if (!existsSync(file)) throw new BackupError("not_found", `${file} does not exist`);
  let backup: Store;
  try {
    backup = openStoreReadOnly(file);
  } catch (e) {
    throw new BackupError("invalid", `${file} is not a SQLite database: ${e instanceof Error ? e.message : String(e)}`);
  }
  try {
    // SQLite reads the header only on the first statement.
    backup.sqlite.prepare("SELECT COUNT(*) FROM sqlite_master").get();
  } catch (e) {
    backup.close();
    throw new BackupError("invalid", `${file} is not a SQLite database: ${e instanceof Error ? e.message : String(e)}`);
  }
  try {
    const problems: string[] = [];
    const integrity = integrityCheck(backup);
    if (integrity.length !== 1 || integrity[0] !== "ok") problems.push(`integrity_check: ${integrity.slice(0, 5).join("; ")}`);
    const audit = createAuditTrail(createAuditRepo(backup), Date.now, auditKeys).verify();
    if (!audit.ok) problems.push(`audit chain broken at row ${audit.brokenAt}: ${audit.reason}`);
    const counts = tableCounts(backup);
    const sourceCounts = source ? tableCounts(source) : null;
    let sameSource: boolean | null = null;
    if (source && audit.ok && audit.rows > 0) {
      sameSource = auditHashAt(source, audit.rows) === audit.head;
      if (!sameSource) problems.push(`the source's audit row ${audit.rows} differs from the backup's head: not a backup of this database, or the source's log was changed`);
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
