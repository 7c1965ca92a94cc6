import type { ServerResponse } from "node:http";
import {
  type Failure,
  SIGN_HEADER,
  SIGN_TIMESTAMP_HEADER,
  formatBeijingTimestamp,
  serializeFailure,
  signResponse,
} from "../contract/index.js";

const CONTENT_TYPE = "application/json;charset=UTF-8";

/**
 * Writes one enveloped answer. With a signing secret (hmac-sha256 accounts, §2.3) the body is
 * signed over its exact bytes. HTTP 200 for every envelope but 405/413/404 (§1).
 */
export function writeEnvelope(res: ServerResponse, body: string, signingSecret: string | null, status = 200): void {
  // The signature is over the UTF-8 bytes of the body; hashing the string as UTF-8 is the same.
  const headers: Record<string, string | number> = { "Content-Type": CONTENT_TYPE, "Content-Length": Buffer.byteLength(body, "utf8") };
  if (signingSecret !== null) {
    const timestamp = formatBeijingTimestamp(Date.now());
    headers[SIGN_TIMESTAMP_HEADER] = timestamp;
    headers[SIGN_HEADER] = signResponse(signingSecret, timestamp, body);
  }
  res.writeHead(status, headers);
  res.end(body, "utf8");
}

/** The success envelope around a result that is already JSON text (cached answers). */
export function successBody(resultJson: string): string {
  return `{"success":true,"result":${resultJson}}`;
}

export function writeFailure(res: ServerResponse, f: Failure, signingSecret: string | null, status = 200): void {
  writeEnvelope(res, serializeFailure(f), signingSecret, status);
}
