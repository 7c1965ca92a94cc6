import type { Logger } from "../lib/logger.js";
import type { AuditTrail } from "./audit-trail.js";

/** How often the chain's head is checked and, when it moved, written to the log. */
export const AUDIT_HEAD_LOG_INTERVAL_MS = 5 * 60_000;

/**
 * Writes the audit chain's head (`audit.head`: last id and its hash) to the log at start and
 * whenever it moved, so log shipping anchors it outside the database: a chain rewritten later,
 * even with the key, no longer passes through an anchored hash.
 */
export function startAuditHeadLog(audit: Pick<AuditTrail, "head">, logger: Logger, intervalMs = AUDIT_HEAD_LOG_INTERVAL_MS): { stop(): void } {
  let lastId: number | undefined;
  const write = async () => {
    try {
      const head = await audit.head();
      if (!head || head.id === lastId) return;
      lastId = head.id;
      logger.info({ event: "audit.head", id: head.id, hash: head.hash, at: head.at }, "audit chain head");
    } catch (err) {
      logger.error({ event: "audit.head.failed", err }, "audit chain head not written");
    }
  };
  void write();
  const timer = setInterval(() => void write(), intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
