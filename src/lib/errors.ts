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
 * A domain verb that did not happen, with a kind a caller can act on (invalid input, not found,
 * conflict…). The CLI and other doors report any of them the same way, without knowing each class.
 */
export class DomainError extends Error {
  constructor(
    readonly kind: string,
    message: string,
  ) {
    super(message);
  }

  toJSON(): Record<string, unknown> {
    return { kind: this.kind, message: this.message };
  }
}
