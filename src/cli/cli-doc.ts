import type { Command } from "./cli-kit.js";
import { EXIT, commandGroups } from "./command-table.js";

/** Where each group's subject is told in full, from docs/cli.md. */
const GROUP_NOTES: Record<string, string> = {
  supplier:
    "Suppliers, the mall accounts issued to them, the connection to their API and the production gate waiver. The flow these serve: [Onboarding a supplier](onboarding-a-supplier.md).",
  sync: "The puller, by hand: [Architecture → The puller](architecture.md#the-puller); `sync prune`: [Retention](operations/retention.md).",
  products: "The products stored for a supplier, and why any was rejected: [Architecture → Validation](architecture.md#validation).",
  reference: "Standard catalogs, brands, promise options and areas: [Architecture → Reference data](architecture.md#reference-data).",
  orders:
    "Procurement orders; the file `orders create` reads is described in [Architecture → Taking an order](architecture.md#taking-an-order), the push in [Architecture → Orders](architecture.md#orders).",
  users: "Console users and their roles: [Console and admin API](console.md#users-and-roles).",
  audit: "The audit log and its hash chain: [Console and admin API → The audit log](console.md#the-audit-log).",
  backup: "Online backups, their check, and the step after a restore: [Backups](operations/backups.md).",
  conformance: "The docking test tool, its signed reports and the trust marks: [Onboarding a supplier](onboarding-a-supplier.md).",
};

/** Text for a Markdown paragraph: characters that would start markup are escaped. */
const prose = (text: string) => text.replace(/[\\`*<[\]]/g, (c) => `\\${c}`);

function commandSection(command: Command): string[] {
  const [group = "", verb = ""] = command.usage.split(" ");
  const lines = [
    `### ${group} ${verb}`,
    "",
    "```sh",
    `npm run cli -- ${command.usage}`,
    "```",
    "",
    `${prose(command.summary.charAt(0).toUpperCase() + command.summary.slice(1))}.`,
  ];
  if (command.audit) lines.push("", `Recorded in the audit log as \`${command.audit}\`, done or refused.`);
  return [...lines, ""];
}

/** docs/cli.md, written from the CLI's command table (`npm run docs:cli`; a unit test keeps it current). */
export function cliDocText(): string {
  const lines = [
    "# The CLI",
    "",
    "<!-- Generated from the CLI's command table (src/cli/command-table.ts) by `npm run docs:cli`: edit a command's usage and summary, then regenerate. -->",
    "",
    "`npm run cli -- GROUP VERB [flags]` runs it from source (tsx); `node dist/cli/main.js GROUP VERB [flags]` runs the compiled one after `npm run build`. " +
      "It reads the same environment as the gateway ([Configuration](operations/configuration.md)), so `DATABASE_URL` decides which database it works on. `npm run cli -- help` lists every command.",
    "",
    'Every command takes `--json` and then prints one JSON object (`{"ok":true,…}` or `{"ok":false,"error":{kind,message}}`) on its last line. The exit code says how it ended:',
    "",
    "| exit code | meaning |",
    "|---|---|",
    "| 0 | done |",
    `| ${EXIT.failed} | refused, or found something wrong (a broken audit chain, a backup or mark that does not verify) |`,
    `| ${EXIT.usage} | usage: an unknown command or a bad flag; the command's usage is printed |`,
    `| ${EXIT.unavailable} | the database cannot be reached or opened (error kind \`database\`) |`,
    `| ${EXIT.software} | a failure no command expects (error kind \`internal\`) |`,
    `| ${EXIT.config} | the configuration is invalid (error kind \`config\`) |`,
    "",
    "A command that changes state is written to the audit log with the person at the terminal as its actor (`cli:USER`).",
    "",
  ];
  for (const [group, commands] of Object.entries(commandGroups)) {
    lines.push(`## ${group}`, "");
    const note = GROUP_NOTES[group];
    if (note) lines.push(note, "");
    for (const command of Object.values(commands)) lines.push(...commandSection(command));
  }
  return `${lines.join("\n").trimEnd()}\n`;
}
