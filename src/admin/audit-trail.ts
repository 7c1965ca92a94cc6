import type { Transaction } from "../store/sql/sql-store.js";
import { createHash, createHmac } from "node:crypto";
import type { AuditKeys } from "../security/audit-keys.js";
import { AUDIT_GENESIS_HASH, type AuditRepo, type AuditRow } from "../store/repos/audit-repo.js";

/** What one audited event says: who did what to what, and how it went. Never a secret. */
export type AuditEntry = {
  actor: string;
  role?: string | null;
  action: string;
  target?: string | null;
  outcome?: "ok" | "refused" | "failed";
  summary?: { before?: unknown; after?: unknown; error?: unknown; [k: string]: unknown };
  requestId?: string | null;
};

/** Field names whose values are dropped from summaries, whatever a caller passes in. */
const SECRET_KEYS = /^(password|newPassword|currentPassword|appSecret|app_secret|secret|token|access_token|sign|cookie|csrfToken|sessionId)$/i;

/** Personal-data fields (S-11 consignee and invoice, supplier contacts): the log is append-only and auditors read it. */
const PERSONAL_KEYS =
  /^(mobile|phone|email|address|zip|consignee|contactName|contactPhone|invoice_(name|phone|bank|bank_code|address|mobile|receipt_address))$/i;

function scrub(value: unknown, depth = 0): unknown {
  if (depth > 6) return "[deep]";
  if (Array.isArray(value)) return value.slice(0, 50).map((v) => scrub(v, depth + 1));
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, SECRET_KEYS.test(k) ? "[redacted]" : PERSONAL_KEYS.test(k) ? "[personal data]" : scrub(v, depth + 1)]),
    );
  }
  return value;
}

/** JSON with object keys sorted at every level, so the same content always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value ?? null);
}

type SealedContent = Omit<AuditRow, "prevHash" | "hash">;

const contentOf = (row: SealedContent, withKeyId: boolean): string =>
  canonicalJson({
    id: row.id,
    at: row.at,
    actor: row.actor,
    role: row.role,
    action: row.action,
    target: row.target,
    outcome: row.outcome,
    summary: row.summaryJson,
    requestId: row.requestId,
    ...(withKeyId ? { keyId: row.keyId } : {}),
  });

/** HMAC-SHA256(audit key, previous hash + "\n" + canonical content of the row, its id and key id included). */
export function sealAuditRow(key: Uint8Array, prevHash: string, row: SealedContent): string {
  return createHmac("sha256", key)
    .update(`${prevHash}\n${contentOf(row, true)}`)
    .digest("hex");
}

/** The seal of rows written before the chain was keyed: plain SHA-256, anyone could recompute it. */
function unkeyedSeal(prevHash: string, row: SealedContent): string {
  return createHash("sha256")
    .update(`${prevHash}\n${contentOf(row, false)}`)
    .digest("hex");
}

/** A NUL cannot be stored as text (PostgreSQL refuses it): it is kept visible as U+FFFD instead. */
const storable = (text: string): string => text.replaceAll("\u0000", "\uFFFD");
const storableOrNull = (text: string | null | undefined): string | null => (text == null ? null : storable(text));

export type AuditVerdict = { ok: true; rows: number; head: string } | { ok: false; rows: number; brokenAt: number; reason: string };

export type AuditTrail = ReturnType<typeof createAuditTrail>;

export function createAuditTrail(repo: AuditRepo, clock: () => number, keys: AuditKeys) {
  const activeKey = keys.keyFor(keys.activeKeyId);
  if (!activeKey) throw new Error(`audit key ${keys.activeKeyId} is missing`);

  const rowOf = (entry: AuditEntry) => ({
    at: clock(),
    actor: storable(entry.actor),
    role: entry.role ?? null,
    action: storable(entry.action),
    target: storableOrNull(entry.target),
    outcome: entry.outcome ?? "ok",
    summaryJson: canonicalJson(scrub(entry.summary ?? {})),
    requestId: storableOrNull(entry.requestId),
    keyId: keys.activeKeyId,
  });
  const seal = (prevHash: string, row: SealedContent) => sealAuditRow(activeKey, prevHash, row);

  return {
    /** Appends the entry in a transaction of its own. */
    record(entry: AuditEntry): Promise<AuditRow> {
      return repo.append(rowOf(entry), seal);
    },

    /** record() inside a transaction of the asynchronous store: the change and its row land together. */
    recordIn(tx: Transaction, entry: AuditEntry): Promise<AuditRow> {
      return repo.appendIn(tx, rowOf(entry), seal);
    },

    list: repo.list,

    /** The chain's last row, to be written to the log so it can be anchored outside the database. */
    head: repo.head,

    /**
     * Walks the chain from the first row: a row whose content was edited no longer matches its
     * HMAC; a deleted row leaves a gap in the ids and the next row's prevHash dangling; rows
     * deleted from the end show as ids SQLite issued but the log no longer holds. A chain
     * recomputed without the key fails at its first row, keyed or not.
     */
    async verify(): Promise<AuditVerdict> {
      let prevHash = AUDIT_GENESIS_HASH;
      let expectedId = 1;
      let rows = 0;
      for await (const row of repo.walk()) {
        if (row.id !== expectedId) return { ok: false, rows, brokenAt: row.id, reason: `rows ${expectedId}…${row.id - 1} are missing (deleted)` };
        if (row.prevHash !== prevHash) return { ok: false, rows, brokenAt: row.id, reason: "prev_hash does not match the hash of the row before it" };
        if (row.keyId === null) return { ok: false, rows, brokenAt: row.id, reason: "row is not sealed with an audit key (recomputed without the key)" };
        const key = keys.keyFor(row.keyId);
        if (!key) return { ok: false, rows, brokenAt: row.id, reason: `no audit key ${row.keyId} to verify with (give it in AUDIT_PREVIOUS_KEYS)` };
        if (sealAuditRow(key, prevHash, row) !== row.hash)
          return { ok: false, rows, brokenAt: row.id, reason: "content does not match its hash (edited, or re-chained without the key)" };
        prevHash = row.hash;
        expectedId += 1;
        rows += 1;
      }
      const issued = await repo.highestIdIssued();
      if (issued > rows)
        return { ok: false, rows, brokenAt: rows + 1, reason: `rows ${rows + 1}…${issued} were issued but are missing (deleted from the end)` };
      return { ok: true, rows, head: prevHash };
    },

    /**
     * Seals the rows of a log written before the chain was keyed, as far as their SHA-256 chain
     * holds; a row already broken stays unkeyed, so verify still names it. Called once, when the
     * migration adds key ids (Store.auditLogKeyedNow), never on a log that already had them.
     */
    async keyUnkeyedRows(): Promise<number> {
      const resealed: Array<Pick<AuditRow, "id" | "prevHash" | "hash" | "keyId">> = [];
      let oldPrev = AUDIT_GENESIS_HASH;
      let newPrev = AUDIT_GENESIS_HASH;
      let expectedId = 1;
      for await (const row of repo.walk()) {
        if (row.id !== expectedId || row.keyId !== null || row.prevHash !== oldPrev || unkeyedSeal(oldPrev, row) !== row.hash) break;
        const keyed = { ...row, keyId: keys.activeKeyId, prevHash: newPrev };
        const hash = sealAuditRow(activeKey, newPrev, keyed);
        resealed.push({ id: row.id, prevHash: newPrev, hash, keyId: keys.activeKeyId });
        oldPrev = row.hash;
        newPrev = hash;
        expectedId += 1;
      }
      await repo.reseal(resealed);
      return resealed.length;
    },
  };
}
