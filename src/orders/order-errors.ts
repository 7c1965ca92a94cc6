import { DomainError, type FieldIssue } from "../lib/errors.js";

/**
 * Why an order verb did not happen:
 * - invalid: the input is wrong; `issues` names every bad field
 * - not_found: no such order (or supplier)
 * - conflict: the order is in a state or lease that does not allow the verb now
 * - unavailable: the supplier could not be asked (stock check failed); try again later
 * - gate_closed: the production gate holds the supplier (no valid trust mark, no waiver), so it was not asked
 */
export type OrderErrorKind = "invalid" | "not_found" | "conflict" | "unavailable" | "gate_closed";

export class OrderError extends DomainError {
  override readonly name = "OrderError";
  declare readonly kind: OrderErrorKind;
  constructor(kind: OrderErrorKind, message: string, issues: readonly FieldIssue[] = []) {
    super(kind, issues.length === 0 ? message : `${message}: ${issues.map((i) => `${i.field}: ${i.message}`).join("; ")}`, issues);
  }

  override toJSON() {
    return { kind: this.kind, message: this.message, issues: this.issues };
  }
}

export type OrderOutcome<T> = { ok: true; value: T } | { ok: false; error: OrderError };

export const invalid = (issues: readonly FieldIssue[]): OrderOutcome<never> => ({ ok: false, error: new OrderError("invalid", "order rejected", issues) });
