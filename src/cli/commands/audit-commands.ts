import { beijingLabel } from "../../lib/beijing-time.js";
import { type Command, CommandFailed, flags, table } from "../cli-kit.js";

export const auditCommands: Record<string, Command> = {
  verify: {
    usage: "audit verify [--json]",
    summary: "walk the audit log's hash chain; exit 1 naming the first edited, deleted or missing row",
    async run({ argv, container }) {
      flags(argv, {});
      const verdict = await container.admin.audit.verify();
      if (verdict.ok) return { human: `audit log intact: ${verdict.rows} rows, head ${verdict.head}`, json: { verdict } };
      // A broken chain is a failed check: exit 1, whatever the output mode, so scripts and CI fail.
      throw new CommandFailed("tampered", `audit log broken at row ${verdict.brokenAt}: ${verdict.reason} (${verdict.rows} rows verified before it)`, {
        verdict,
      });
    },
  },
  list: {
    usage: "audit list [--actor A] [--action PREFIX] [--target T] [--before ID] [--limit N]",
    summary: "audit entries, newest first",
    async run({ argv, container }) {
      const v = flags(argv, {
        actor: { type: "string" },
        action: { type: "string" },
        target: { type: "string" },
        before: { type: "string" },
        limit: { type: "string" },
      });
      const entries = await container.admin.audit.list({
        actor: v.actor,
        action: v.action,
        target: v.target,
        before: v.before === undefined ? undefined : Number(v.before),
        limit: Math.min(Math.max(Number(v.limit ?? "50") || 50, 1), 1000),
      });
      return {
        human: table(
          entries.map((e) => ({
            id: e.id,
            at: beijingLabel(e.at),
            actor: e.actor,
            action: e.action,
            target: e.target,
            outcome: e.outcome,
            summary: e.summaryJson,
          })),
          ["id", "at", "actor", "action", "target", "outcome", "summary"],
        ),
        json: { entries: entries.map(({ summaryJson, ...e }) => ({ ...e, summary: JSON.parse(summaryJson) as unknown })) },
      };
    },
  },
};
