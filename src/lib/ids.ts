import { randomBytes, randomFillSync } from "node:crypto";

/** Prefixed ids for things we mint (`run_…`, `req_…`), so a log line says what an id names. */
export function newId(prefix: string, bytes = 12): string {
  return `${prefix}_${randomBytes(bytes).toString("base64url")}`;
}

const NONCE_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
/** Bytes at or above this would favour the alphabet's first letters (256 is not a multiple of 62). */
const NONCE_BYTE_LIMIT = 256 - (256 % NONCE_ALPHABET.length);

// Every supplier call signs a fresh nonce: one refill of the pool serves about a hundred of them,
// where a randomBytes call per nonce cost the puller ~2 % of its time.
const randomPool = Buffer.alloc(4096);
let poolAt = randomPool.length;

function randomByte(): number {
  if (poolAt === randomPool.length) {
    randomFillSync(randomPool);
    poolAt = 0;
  }
  return randomPool[poolAt++] as number;
}

/** A §2.2 nonce: `length` chars of [A-Za-z0-9], each equally likely. */
export function newNonce(length = 32): string {
  let out = "";
  while (out.length < length) {
    const b = randomByte();
    if (b < NONCE_BYTE_LIMIT) out += NONCE_ALPHABET[b % NONCE_ALPHABET.length];
  }
  return out;
}

/** A random secret of `bytes` bytes as base64url text (appSecret: ≥ 32 bytes, §2). */
export function newSecret(bytes = 32): string {
  return randomBytes(bytes).toString("base64url");
}
