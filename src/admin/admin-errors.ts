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
  supplier_unavailable: 502,
  internal: 500,
} as const;
export type AdminErrorCode = keyof typeof adminErrorStatus;

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
