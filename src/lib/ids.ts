import { randomBytes } from "node:crypto";

/** Prefixed ids for things we mint (`run_…`, `req_…`), so a log line says what an id names. */
export function newId(prefix: string, bytes = 12): string {
  return `${prefix}_${randomBytes(bytes).toString("base64url")}`;
}

const NONCE_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** A §2.2 nonce: 32 chars of [A-Za-z0-9]. */
export function newNonce(length = 32): string {
  const bytes = randomBytes(length);
  let out = "";
  for (const b of bytes) out += NONCE_ALPHABET[b % NONCE_ALPHABET.length];
  return out;
}

/** A random secret of `bytes` bytes as base64url text (appSecret: ≥ 32 bytes, §2). */
export function newSecret(bytes = 32): string {
  return randomBytes(bytes).toString("base64url");
}
