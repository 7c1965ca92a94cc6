import type { SupplierOperationName } from "../contract/index.js";
import { type FailureClass, classifyFailure } from "./failure-class.js";

/**
 * How a supplier call failed:
 * - http: an HTTP status other than an enveloped answer (a proxy's 502, 404, 405, 413)
 * - timeout: no answer in time; the supplier may or may not have done the work
 * - network: the connection failed or was cut
 * - contract: the answer broke the contract (unsigned, badly signed, not JSON, wrong shape) — or our
 *   own request would have
 * - refused: a well-formed failure envelope (`code` says why)
 */
export const supplierErrorKinds = ["http", "timeout", "network", "contract", "refused"] as const;
export type SupplierErrorKind = (typeof supplierErrorKinds)[number];

export type SupplierErrorInit = {
  supplier: string;
  operation: SupplierOperationName;
  endpoint: string;
  kind: SupplierErrorKind;
  message: string;
  /** False stops the client repeating the call even when the failure is transient (e.g. the client closed). */
  retryable: boolean;
  code?: number;
  /** For contract errors: the field (dotted path) that broke it, e.g. `result.3.price` or `X-Sign`. */
  field?: string;
  status?: number;
  /** 5005 / token_expired: the caller should log in again (§2.2). */
  tokenExpired?: boolean;
  /** For refusals: the answer's signature checked out, or the account's sign mode signs no answers. */
  signed?: boolean;
  attempts?: number;
  /** The call never left: its run stopped first (see SupplierClient.stopSkuReads). The supplier saw nothing. */
  unsent?: boolean;
};

/** A failed supplier call, as a value: never thrown at the caller, never carrying secrets. */
export class SupplierError extends Error {
  override readonly name = "SupplierError";
  readonly supplier: string;
  readonly operation: SupplierOperationName;
  readonly endpoint: string;
  readonly kind: SupplierErrorKind;
  readonly retryable: boolean;
  readonly code?: number;
  readonly field?: string;
  readonly status?: number;
  readonly tokenExpired: boolean;
  readonly signed?: boolean;
  /** What the failure means for the caller (see failure-class.ts); decisions read this, not `kind`. */
  readonly failureClass: FailureClass;
  /** How many attempts were made before giving up. */
  readonly attempts: number;
  /** Withheld by a stopping run: its messages stay as they were, for the next run. */
  readonly unsent: boolean;
  /** The message without the supplier and endpoint prefix. */
  readonly detail: string;

  constructor(init: SupplierErrorInit) {
    super(`${init.supplier} ${init.endpoint}: ${init.message}`);
    this.supplier = init.supplier;
    this.operation = init.operation;
    this.endpoint = init.endpoint;
    this.kind = init.kind;
    this.retryable = init.retryable;
    this.code = init.code;
    this.field = init.field;
    this.status = init.status;
    this.tokenExpired = init.tokenExpired ?? false;
    this.signed = init.signed;
    this.failureClass = classifyFailure(init);
    this.attempts = init.attempts ?? 1;
    this.unsent = init.unsent ?? false;
    this.detail = init.message;
  }

  withAttempts(attempts: number): SupplierError {
    return new SupplierError({ ...this.toInit(), attempts });
  }

  toJSON() {
    return { ...this.toInit(), failureClass: this.failureClass, message: this.message };
  }

  private toInit(): SupplierErrorInit {
    return {
      supplier: this.supplier,
      operation: this.operation,
      endpoint: this.endpoint,
      kind: this.kind,
      message: this.detail,
      retryable: this.retryable,
      code: this.code,
      field: this.field,
      status: this.status,
      tokenExpired: this.tokenExpired,
      signed: this.signed,
      attempts: this.attempts,
      unsent: this.unsent,
    };
  }
}

export type CallResult<T> = { ok: true; value: T } | { ok: false; error: SupplierError };
