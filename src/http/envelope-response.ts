import type { ServerResponse } from "node:http";
import { type Failure, SIGN_HEADER, SIGN_TIMESTAMP_HEADER, formatBeijingTimestamp, serializeFailure, signResponse } from "../contract/index.js";

const CONTENT_TYPE = "application/json;charset=UTF-8";

/**
 * Writes one enveloped answer. With a signing secret (hmac-sha256 accounts, §2.3) the body is
 * signed over its exact bytes. HTTP 200 for every envelope but 405/413/404 (§1).
 */
export function writeEnvelope(res: ServerResponse, body: string, signingSecret: string | null, status = 200): void {
  // The signature is over the UTF-8 bytes of the body; hashing the string as UTF-8 is the same.
  const headers: Record<string, string | number> = { "Content-Type": CONTENT_TYPE, "Content-Length": Buffer.byteLength(body, "utf8") };
  if (signingSecret !== null) {
    const timestamp = wireTimestampNow();
    headers[SIGN_TIMESTAMP_HEADER] = timestamp;
    headers[SIGN_HEADER] = signatureOf(signingSecret, timestamp, body);
  }
  res.writeHead(status, headers);
  res.end(body, "utf8");
}

let clockSecond = -1;
let clockText = "";
/** The wire timestamp of now, formatted once a second. */
function wireTimestampNow(): string {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== clockSecond) {
    clockSecond = second;
    clockText = formatBeijingTimestamp(second * 1000);
  }
  return clockText;
}

/**
 * The same cached answer to the same account within one second has the same signature: the
 * last one per secret is kept, so a busy account pays for one HMAC over the body a second.
 */
const SIGNATURES_KEPT = 1_000;
const lastSignature = new Map<string, { timestamp: string; body: string; sign: string }>();
function signatureOf(secret: string, timestamp: string, body: string): string {
  const hit = lastSignature.get(secret);
  if (hit && hit.timestamp === timestamp && hit.body === body) return hit.sign;
  const sign = signResponse(secret, timestamp, body);
  if (lastSignature.size >= SIGNATURES_KEPT) lastSignature.clear();
  lastSignature.set(secret, { timestamp, body, sign });
  return sign;
}

/** Envelopes of cached answers, kept so the same answer is the same string (cheap to compare). */
const ENVELOPES_KEPT = 2_000;
const envelopes = new Map<string, string>();

/** The success envelope around a result that is already JSON text (cached answers). */
export function successBody(resultJson: string): string {
  const hit = envelopes.get(resultJson);
  if (hit !== undefined) return hit;
  const body = `{"success":true,"result":${resultJson}}`;
  if (envelopes.size >= ENVELOPES_KEPT) envelopes.clear();
  envelopes.set(resultJson, body);
  return body;
}

export function writeFailure(res: ServerResponse, f: Failure, signingSecret: string | null, status = 200): void {
  writeEnvelope(res, serializeFailure(f), signingSecret, status);
}
