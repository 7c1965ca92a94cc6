import type { DomainErrorKind } from "../lib/errors.js";

/** One bad input, named by its path (`body.items[0].num`, `query.limit`). */
export type FieldError = { field: string; message: string };

/** Admin API error codes and the honest HTTP status of each. */
export const adminErrorStatus = {
  invalid_input: 400,
  unauthenticated: 401,
  forbidden: 403,
  csrf_failed: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  locked: 429,
  rate_limited: 429,
  supplier_unavailable: 502,
  internal: 500,
} as const;
export type AdminErrorCode = keyof typeof adminErrorStatus;

/**
 * Each kind of domain failure as the admin caller hears it. null: no admin route fails this way
 * (backup files are the CLI's), so one that did would stay an internal error, as anything unknown.
 */
export const adminCodeOfKind: Record<DomainErrorKind, AdminErrorCode | null> = {
  invalid: "invalid_input",
  not_found: "not_found",
  conflict: "conflict",
  unavailable: "supplier_unavailable",
  // The supplier may not be worked with until its mark is valid: the verb conflicts with its state.
  gate_closed: "conflict",
  exists: null,
  unsupported: null,
  unwritable: null,
};

/** A failure the admin caller can act on; the router turns it into {error:{code,message,requestId,fields?}}. */
export class AdminError extends Error {
  override readonly name = "AdminError";
  constructor(
    readonly code: AdminErrorCode,
    message: string,
    readonly fields: readonly FieldError[] = [],
  ) {
    super(message);
  }

  get status(): number {
    return adminErrorStatus[this.code];
  }
}
