import { ErrorCode } from "./error-codes.js";
import { type Failure, failure } from "./envelope.js";
import { NONCE_PATTERN, SIGN_WINDOW_SECONDS } from "./signing.js";
import { parseBeijingTimestamp } from "./time.js";

/**
 * The checks both sides make on a signed request (§2.1/§2.2) that need no account: a timestamp in
 * the wire format within ±300 s of the receiver's clock (5001), a nonce of the right shape (5004).
 */
export function timestampFailure(timestamp: string, nowMs: number): Failure | null {
  const at = parseBeijingTimestamp(timestamp);
  // The desc names the rule, never the caller's text: answers may be signed (§2.3).
  if (at === null) return failure(ErrorCode.TimestampInvalid, "timestamp 应为 yyyy-MM-dd HH:mm:ss");
  if (Math.abs(nowMs - at) > SIGN_WINDOW_SECONDS * 1000) {
    return failure(ErrorCode.TimestampInvalid, `timestamp 与服务器时间相差超过${SIGN_WINDOW_SECONDS}秒`);
  }
  return null;
}

export function nonceFailure(nonce: string): Failure | null {
  return NONCE_PATTERN.test(nonce) ? null : failure(ErrorCode.SignatureInvalid, "nonce 应为16–64位字母或数字");
}
