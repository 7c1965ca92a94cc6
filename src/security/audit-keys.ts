import type { Config } from "../config/config.js";
import { type KeyRing, KeyRingError } from "./key-ring.js";

/**
 * The keys of the audit log's HMAC chain, kept outside the database so a copy of it cannot be
 * re-chained. Every row names the key that sealed it; earlier keys stay available to verify.
 */
export type AuditKeys = {
  readonly activeKeyId: string;
  keyFor(keyId: string): Uint8Array | undefined;
};

/** Derived audit keys are named after the data key they come from. */
const DERIVED_PREFIX = "dek.";
const PURPOSE = "audit-chain";

export function createAuditKeys(activeKeyId: string, keys: ReadonlyMap<string, Uint8Array>): AuditKeys {
  if (!keys.has(activeKeyId)) throw new KeyRingError(`audit key ${activeKeyId} is missing`);
  return { activeKeyId, keyFor: (keyId) => keys.get(keyId) };
}

/** AUDIT_KEY (+ AUDIT_PREVIOUS_KEYS) when set; otherwise HKDF sub-keys of the data encryption keys. */
export function auditKeysFromConfig(config: Pick<Config, "AUDIT_KEY" | "AUDIT_KEY_ID" | "AUDIT_PREVIOUS_KEYS">, ring: KeyRing): AuditKeys {
  const keys = new Map<string, Uint8Array>();
  for (const [id, key] of ring.deriveKeys(PURPOSE)) keys.set(`${DERIVED_PREFIX}${id}`, key);
  for (const entry of config.AUDIT_PREVIOUS_KEYS.split(",")
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [id, b64] = entry.split(":");
    const key = Buffer.from(b64 ?? "", "base64");
    if (!id || key.length !== 32) throw new KeyRingError("AUDIT_PREVIOUS_KEYS: each entry must be id:base64 of 32 bytes");
    keys.set(id, new Uint8Array(key));
  }
  if (config.AUDIT_KEY) {
    keys.set(config.AUDIT_KEY_ID, new Uint8Array(Buffer.from(config.AUDIT_KEY, "base64")));
    return createAuditKeys(config.AUDIT_KEY_ID, keys);
  }
  return createAuditKeys(`${DERIVED_PREFIX}${ring.activeKeyId}`, keys);
}
