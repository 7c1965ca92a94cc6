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
    run({ argv, container, actor }) {
      const v = flags(argv, { code: { type: "string" }, reason: { type: "string" } });
      const code = requireFlag(v, "code");
      const reason = requireFlag(v, "reason");
      // The waiver and its audit row in one transaction.
      return {
        commitIn: async (tx) => {
          const waiver = await container.conformance.waive(code, reason, actor, tx);
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
    run({ argv, container }) {
      const v = flags(argv, { code: { type: "string" }, reason: { type: "string" } });
      const code = requireFlag(v, "code");
      const reason = requireFlag(v, "reason").trim();
      // The waiver read and removed, the gate it leaves and the audit row, in one transaction.
      return {
        commitIn: async (tx) => {
          const waiver = await container.conformance.withdrawWaiver(code, reason, tx);
          const { gate } = await container.conformance.standing(code, tx);
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
