import type { GateWaiverRow } from "../../store/repos/conformance-repo.js";
import { type Command, flags, requireFlag } from "../cli-kit.js";

/** A waiver as the `--json` line names it. */
export const waiverJson = (code: string, waiver: GateWaiverRow) => ({
  supplier: code,
  reason: waiver.reason,
  actor: waiver.actor,
  createdAt: new Date(waiver.createdAt).toISOString(),
});

export const gateCommands: Record<string, Command> = {
  "waive-gate": {
    usage: "supplier waive-gate --code CODE --reason R",
    summary:
      "let a supplier through the production gate without a trust mark (e.g. already docked with another mall); the reason is recorded; a later suspension or revocation ends it",
    audit: "supplier.waive_gate",
    // The supplier read first; the waiver and the audit row in one transaction.
    async run({ argv, container, actor }) {
      const v = flags(argv, { code: { type: "string" }, reason: { type: "string" } });
      const code = requireFlag(v, "code");
      const reason = requireFlag(v, "reason");
      const supplier = await container.conformance.supplier(code);
      return {
        commit: () => {
          const waiver = container.conformance.waiveOf(supplier, reason, actor);
          return {
            human: `production gate waived for ${code}: ${waiver.reason}`,
            json: { waiver: waiverJson(code, waiver) },
            audit: { target: code, summary: { after: { waived: true, reason: waiver.reason } } },
          };
        },
      };
    },
  },
  "withdraw-waiver": {
    usage: "supplier withdraw-waiver --code CODE --reason R",
    summary: "withdraw a supplier's production gate waiver: without a valid trust mark it is no longer pulled and receives no orders; the reason is recorded",
    audit: "supplier.withdraw_waiver",
    async run({ argv, container }) {
      const v = flags(argv, { code: { type: "string" }, reason: { type: "string" } });
      const code = requireFlag(v, "code");
      const reason = requireFlag(v, "reason").trim();
      const supplier = await container.conformance.supplier(code);
      return {
        commit: () => {
          const waiver = container.conformance.withdrawWaiverOf(supplier, reason);
          const { gate } = container.conformance.standingWith(supplier);
          return {
            human: `production gate waiver of ${code} withdrawn: ${reason}\nproduction gate: ${gate.open ? `open (${gate.via ?? ""})` : `closed (${gate.reason ?? ""})`}`,
            json: { withdrawn: waiverJson(code, waiver), reason, gate },
            audit: { target: code, summary: { before: { waived: true, reason: waiver.reason }, after: { waived: false, reason } } },
          };
        },
      };
    },
  },
};
