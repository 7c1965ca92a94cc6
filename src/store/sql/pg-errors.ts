/**
 * What PostgreSQL failures look like to the rest of the gateway, whichever way a statement reached
 * the server. The doors map them: PgUnavailableError and its subclasses are "busy, try again" (the
 * mall's 5099, /readyz 503), anything else is the statement's own error (a SQLSTATE the repository
 * may expect, such as 23505).
 */

/** A PostgreSQL error as the repositories see it: SQLSTATE `code` (23505 unique violation, 40001 …). */
export class PgQueryError extends Error {
  override readonly name: string = "PgQueryError";
  constructor(
    /** What PostgreSQL (or the connection) said, without the statement. */
    readonly reason: string,
    readonly code: string | undefined,
    readonly detail: string | undefined,
    /** The statement's text (never its values), for the log. */
    readonly statement?: string,
  ) {
    super(statement ? `${reason} (in: ${statement.length > 300 ? `${statement.slice(0, 300)}…` : statement})` : reason);
  }
}

/**
 * PostgreSQL cannot be asked right now: it cannot be reached, or the connection was lost. Nothing
 * about the request itself is wrong.
 */
export class PgUnavailableError extends PgQueryError {
  override readonly name: string = "PgUnavailableError";
  constructor(reason: string, code?: string, statement?: string) {
    super(reason, code, undefined, statement);
  }
}

/** The connection ended around this statement. `sent`: it reached the server, so it may have run (and, outside a transaction, committed). */
export class PgConnectionLostError extends PgUnavailableError {
  override readonly name: string = "PgConnectionLostError";
  constructor(
    reason: string,
    readonly sent: boolean,
    code?: string,
    statement?: string,
  ) {
    super(reason, code, statement);
  }
}

/**
 * The connection ended after COMMIT was sent and before its answer came: the transaction may or may
 * not have committed, and it is not run again. It is a PgUnavailableError, so every caller treats it
 * as a failed write (nothing is reported done) and the work is done again later, which is safe
 * because the writers are idempotent: the puller applies an unacknowledged page again keyed by
 * message id, the order pusher resubmits under the same yggc_order, a mall call is answered 5099.
 */
export class PgCommitUnknownError extends PgUnavailableError {
  override readonly name: string = "PgCommitUnknownError";
}
