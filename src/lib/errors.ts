import { type ErrorCode, type Failure, failure } from "../contract/index.js";

/**
 * A failure the caller can act on: a contract code and a message that quotes what they sent.
 * Domain code throws or returns these; one middleware turns them into the envelope.
 */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly desc: string;
  readonly details?: unknown;

  constructor(code: ErrorCode, detail?: string, options?: { details?: unknown; cause?: unknown }) {
    const f = failure(code, detail);
    super(f.desc, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "AppError";
    this.code = code;
    this.desc = f.desc;
    this.details = options?.details;
  }

  static from(f: Failure): AppError {
    const e = new AppError(f.code);
    Object.assign(e, { desc: f.desc, message: f.desc });
    return e;
  }

  toFailure(): Failure {
    return { code: this.code, desc: this.desc };
  }
}

/**
 * Why a domain verb did not happen: a closed set, so a door maps every kind from one table (the
 * admin API's adminCodeOfKind). The CLI prints the kind as it is, so renaming one changes its JSON.
 * `unavailable`: the supplier could not be asked; `gate_closed`: no valid trust mark or waiver;
 * `exists`, `unsupported`, `unwritable`: backup files (already there, not on this database, not writable).
 */
export type DomainErrorKind = "invalid" | "not_found" | "conflict" | "unavailable" | "gate_closed" | "exists" | "unsupported" | "unwritable";

/** One bad input, named by its field path (`items[2].num`, `county`). */
export type FieldIssue = { field: string; message: string };

/**
 * A domain verb that did not happen, with a kind a caller can act on (invalid input, not found,
 * conflict…). The CLI and other doors report any of them the same way, without knowing each class.
 */
export class DomainError extends Error {
  constructor(
    readonly kind: DomainErrorKind,
    message: string,
    /** Every bad field, when the verb names them (an order file); empty otherwise. */
    readonly issues: readonly FieldIssue[] = [],
  ) {
    super(message);
  }

  toJSON(): Record<string, unknown> {
    return { kind: this.kind, message: this.message };
  }
}
