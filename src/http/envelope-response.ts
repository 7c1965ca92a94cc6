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
  const bytes = Buffer.from(body, "utf8");
  res.statusCode = status;
  res.setHeader("Content-Type", CONTENT_TYPE);
  res.setHeader("Content-Length", bytes.length);
  if (signingSecret !== null) {
    const timestamp = formatBeijingTimestamp(Date.now());
    res.setHeader(SIGN_TIMESTAMP_HEADER, timestamp);
    res.setHeader(SIGN_HEADER, signResponse(signingSecret, timestamp, bytes));
  }
  res.end(bytes);
}

/** The success envelope around a result that is already JSON text (cached answers). */
export function successBody(resultJson: string): string {
  return `{"success":true,"result":${resultJson}}`;
}

export function writeFailure(res: ServerResponse, f: Failure, signingSecret: string | null, status = 200): void {
  writeEnvelope(res, serializeFailure(f), signingSecret, status);
}
