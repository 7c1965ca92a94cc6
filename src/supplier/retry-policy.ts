import type { SupplierOperationName } from "../contract/index.js";
import type { SupplierError } from "./supplier-error.js";

/**
 * Retries are decided per endpoint, never by HTTP method (every call is a POST, §1):
 * - read: product queries and the message pool; safe to repeat.
 * - delete: message deletes; deleting twice succeeds (§3).
 * - submit: order submit; repeated only with the same yggc_order, which the supplier answers with
 *   the same order (§5 S-11), so a timeout after the work was done cannot create a second order.
 * - confirm: confirming twice succeeds (§5 S-12).
 * - token: the login itself.
 */
export type RetryClass = "read" | "delete" | "submit" | "confirm" | "token";

export const retryClassOf: Readonly<Record<SupplierOperationName, RetryClass>> = {
  token: "token",
  messagePool: "read",
  messageDelete: "delete",
  detail: "read",
  attributes: "read",
  promise: "read",
  shelfStates: "read",
  stocks: "read",
  images: "read",
  prices: "read",
  submitOrder: "submit",
  confirmOrder: "confirm",
};

export type RetryPolicy = {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** Delay ceiling before the second attempt; doubles each time. */
  baseDelayMs: number;
  maxDelayMs: number;
};

export const DEFAULT_RETRY_POLICIES: Readonly<Record<RetryClass, RetryPolicy>> = {
  read: { maxAttempts: 4, baseDelayMs: 250, maxDelayMs: 5_000 },
  delete: { maxAttempts: 4, baseDelayMs: 250, maxDelayMs: 5_000 },
  submit: { maxAttempts: 3, baseDelayMs: 500, maxDelayMs: 5_000 },
  confirm: { maxAttempts: 4, baseDelayMs: 250, maxDelayMs: 5_000 },
  token: { maxAttempts: 3, baseDelayMs: 250, maxDelayMs: 2_000 },
};

/**
 * Exponential backoff with "equal jitter": half the step is fixed, half random, so retries of many
 * callers spread out but none comes back immediately. `failedAttempt` is 1 for the first failure.
 */
export function backoffDelayMs(policy: RetryPolicy, failedAttempt: number, random: () => number): number {
  const step = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (failedAttempt - 1));
  return Math.round(step / 2 + random() * (step / 2));
}

export function shouldRetry(policy: RetryPolicy, error: SupplierError, attempt: number): boolean {
  return error.retryable && attempt < policy.maxAttempts;
}
