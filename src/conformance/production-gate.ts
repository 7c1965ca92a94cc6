import { DomainError } from "../lib/errors.js";
import type { ConformanceRepo, GateWaiverRow, TrustMarkRow } from "../store/repos/conformance-repo.js";
import type { SqlRunner } from "../store/sql/sql-store.js";
import { markState } from "./trust-marks.js";

export type GateClosedReason = "no_mark" | "suspended" | "revoked" | "expired";

export type GateVerdict =
  | { open: true; via: "mark"; mark: TrustMarkRow }
  | { open: true; via: "waiver"; waiver: GateWaiverRow; mark: TrustMarkRow | null }
  | { open: false; reason: GateClosedReason; mark: TrustMarkRow | null };

const REASON_TEXT: Record<GateClosedReason, string> = {
  no_mark: "has no production trust mark (run the conformance kit: npm run cli -- conformance run …)",
  suspended: "has a suspended production trust mark",
  revoked: "has a revoked production trust mark",
  expired: "has an expired production trust mark (re-certify with the conformance kit)",
};

/** The production gate refused: the supplier is neither certified nor waived. */
export class GateClosedError extends DomainError {
  override readonly name = "GateClosedError";
  constructor(
    readonly supplier: string,
    readonly reason: GateClosedReason,
  ) {
    super(
      "gate_closed",
      `supplier ${supplier} ${REASON_TEXT[reason]}; not pulled, not asked for stock and no orders pushed until it has a valid mark or an admin waives the gate`,
    );
  }

  override toJSON() {
    return { kind: this.kind, reason: this.reason, message: this.message };
  }
}

export type ProductionGate = ReturnType<typeof createProductionGate>;

/**
 * §1 of the standard: only a supplier with a valid trust mark pushes products and prices to the
 * mall and receives orders — or one an admin waived, with a recorded reason. A waiver lasts until
 * an admin withdraws it or a later suspension or revocation ends it (conformance-service.ts).
 */
export function createProductionGate(repo: ConformanceRepo, clock: () => number) {
  /** In `tx` when given: a caller deciding a write on the verdict reads it in its transaction. */
  const verdict = async (supplierId: number, tx?: SqlRunner): Promise<GateVerdict> => {
    const mark = (await repo.currentMark(supplierId, tx)) ?? null;
    const waiver = await repo.waiver(supplierId, tx);
    const state = mark ? markState(mark, clock()) : null;
    if (mark && state === "valid") return { open: true, via: "mark", mark };
    if (waiver) return { open: true, via: "waiver", waiver, mark };
    return { open: false, reason: state === null || state === "valid" ? "no_mark" : state, mark };
  };
  /** Why the supplier may not be called, or null when the gate lets it through. */
  const refusal = async (supplierId: number, supplierCode: string): Promise<GateClosedError | null> => {
    const v = await verdict(supplierId);
    return v.open ? null : new GateClosedError(supplierCode, v.reason);
  };
  return {
    verdict,
    refusal,
    /** Throws GateClosedError naming the reason when the gate is shut. */
    async require(supplierId: number, supplierCode: string): Promise<void> {
      const closed = await refusal(supplierId, supplierCode);
      if (closed) throw closed;
    },
    isOpen: async (supplierId: number): Promise<boolean> => (await verdict(supplierId)).open,
  };
}
