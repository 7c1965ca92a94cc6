import { createHash, createHmac, timingSafeEqual } from "node:crypto";

/**
 * Request and response signing, §2. Pure functions: no clock, no store — the callers decide
 * windows and replay, so the same code serves the mall, the supplier client and the simulator.
 */
export const SignMode = { HmacSha256: "hmac-sha256", YggcMd5: "yggc-md5" } as const;
export type SignMode = (typeof SignMode)[keyof typeof SignMode];
export const signModes = [SignMode.HmacSha256, SignMode.YggcMd5] as const;

/** §2.2: the window either side of the receiver's clock, and how long a nonce is remembered. */
export const SIGN_WINDOW_SECONDS = 300;
export const NONCE_MEMORY_SECONDS = 600;
export const NONCE_PATTERN = /^[A-Za-z0-9]{16,64}$/;

export type WireFields = Readonly<Record<string, unknown>>;

/** The wire text of one field value; null when it is dropped from the canonical string. */
function canonicalValue(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value === "string") return value === "" ? null : value;
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return String(value);
  // Structured values travel as JSON text (§1), so that is what gets signed.
  return JSON.stringify(value);
}

/** §2.1: every field but `sign`, empty values dropped, sorted by name in byte order, `name=value` joined by `&`. */
export function canonicalString(fields: WireFields): string {
  const pairs: Array<{ key: Buffer; text: string }> = [];
  for (const [name, raw] of Object.entries(fields)) {
    if (name === "sign") continue;
    const value = canonicalValue(raw);
    // Each name is encoded once; UTF-8 byte order is not JS string order beyond the BMP.
    if (value !== null) pairs.push({ key: Buffer.from(name, "utf8"), text: `${name}=${value}` });
  }
  pairs.sort((a, b) => Buffer.compare(a.key, b.key));
  return pairs.map((p) => p.text).join("&");
}

export function hmacSha256Hex(secret: string, text: string | Buffer): string {
  return createHmac("sha256", secret).update(text).digest("hex");
}

export function signRequest(appSecret: string, fields: WireFields): string {
  return hmacSha256Hex(appSecret, canonicalString(fields));
}

/** Legacy yggc lineage token signature: MD5(username + password + timestamp + password). */
export function yggcMd5Sign(username: string, password: string, timestamp: string): string {
  return createHash("md5")
    .update(username + password + timestamp + password, "utf8")
    .digest("hex");
}

/** §2.3: X-Sign over the timestamp, a line feed and the raw body bytes. */
export function signResponse(appSecret: string, timestamp: string, body: string | Buffer): string {
  const mac = createHmac("sha256", appSecret);
  mac.update(timestamp + "\n", "utf8");
  mac.update(body);
  return mac.digest("hex");
}

/** Constant-time comparison of two lowercase-hex signatures; unequal lengths are simply unequal. */
export function signaturesEqual(expected: string, received: string): boolean {
  const a = Buffer.from(expected, "utf8");
  const b = Buffer.from(received.toLowerCase(), "utf8");
  return a.length === b.length && timingSafeEqual(a, b);
}

export const SIGN_HEADER = "X-Sign";
export const SIGN_TIMESTAMP_HEADER = "X-Sign-Timestamp";
