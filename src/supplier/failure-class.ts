import { ErrorCode, SIGN_HEADER } from "../contract/index.js";
import type { SupplierErrorKind } from "./supplier-error.js";

/**
 * What a failed supplier call means for the caller, one classification for the puller and the
 * order pusher alike:
 * - transient: try again later (network, timeout, 5xx, a cut or unsigned answer, "please retry"
 *   wording). Never the message's or the order's fault, so it never uses up poison attempts.
 * - relogin: the token is dead (5005 / token_expired); log in again and repeat.
 * - configuration: our side of the docking is wrong (signature, platformCode, missing field,
 *   credentials, a rejected request): pause the supplier and alert; not the order's fault.
 * - malformed: a complete, signed answer that breaks the contract's result shape; deterministic
 *   for that request, so it counts toward quarantine, but it is no business decision either.
 * - business: a signed refusal of this request (已下架, 库存不足, 价格不一致, 商品不存在 …): final.
 */
export const failureClasses = ["transient", "relogin", "configuration", "malformed", "business"] as const;
export type FailureClass = (typeof failureClasses)[number];

/** Wordings suppliers use for "not now" — in the lineage's Chinese and in English. */
const TEMPORARY_WORDING = /稍后|重试|再试|繁忙|频繁|超时|系统异常|busy|time ?out|timed out|rate limit|try again|temporar/i;

/** Codes that say our request or account is wrong, not the order or the sku. */
const CONFIGURATION_CODES: ReadonlySet<number> = new Set([
  ErrorCode.TimestampInvalid,
  ErrorCode.UsernameUnknown,
  ErrorCode.PasswordWrong,
  ErrorCode.SignatureInvalid,
  ErrorCode.RequiredFieldMissing,
  ErrorCode.PlatformCodeInvalid,
]);

/** The fields of a failure the classification reads. */
export type FailureFacts = {
  kind: SupplierErrorKind;
  code?: number;
  status?: number;
  field?: string;
  tokenExpired?: boolean;
  /** For refusals: the answer's signature checked out (or the account's sign mode signs no answers). */
  signed?: boolean;
  /** The refusal's desc, or the failure's message. */
  message: string;
};

export function classifyFailure(f: FailureFacts): FailureClass {
  if (f.tokenExpired || f.code === ErrorCode.TokenExpired) return "relogin";
  switch (f.kind) {
    case "timeout":
    case "network":
      return "transient";
    case "http":
      return f.status === undefined || f.status >= 500 || f.status === 429 || f.status === 408 ? "transient" : "configuration";
    case "contract":
      if (f.field === "request") return "configuration";
      // A missing or wrong signature, or a body cut off, is what a proxy or a broken connection
      // produces: the same request may well succeed next time.
      if (f.field === SIGN_HEADER || f.field === "(body)") return "transient";
      return "malformed";
    case "refused":
      // §2.3: an answer nobody vouches for may make us retry, never decide.
      if (f.signed === false) return "transient";
      if (f.code !== undefined && CONFIGURATION_CODES.has(f.code)) return "configuration";
      if (TEMPORARY_WORDING.test(f.message)) return "transient";
      return "business";
  }
}

/** Worth repeating the same call after a backoff. */
export const isTransient = (c: FailureClass): boolean => c === "transient";
