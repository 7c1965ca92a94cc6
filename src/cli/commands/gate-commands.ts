import { type Command, flags, requireFlag } from "../cli-kit.js";

export const gateCommands: Record<string, Command> = {
  "waive-gate": {
    usage: "supplier waive-gate --code CODE --reason R",
    summary: "let a supplier through the production gate without a trust mark (e.g. already docked with another mall); the reason is recorded",
    audit: "supplier.waive_gate",
    atomic: true,
    run({ argv, container, actor }) {
      const v = flags(argv, { code: { type: "string" }, reason: { type: "string" } });
      const code = requireFlag(v, "code");
      const waiver = container.conformance.waive(code, requireFlag(v, "reason"), actor);
      const out = { supplier: code, reason: waiver.reason, actor: waiver.actor, createdAt: new Date(waiver.createdAt).toISOString() };
      return {
        human: `production gate waived for ${code}: ${waiver.reason}`,
        json: { waiver: out },
        audit: { target: code, summary: { after: { waived: true, reason: waiver.reason } } },
      };
    },
  },
};
