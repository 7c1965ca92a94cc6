import type { Command } from "./cli-kit.js";
import { auditCommands } from "./commands/audit-commands.js";
import { backupCommands } from "./commands/backup-commands.js";
import { conformanceCommands } from "./commands/conformance-commands.js";
import { connectionCommands } from "./commands/connection-commands.js";
import { gateCommands } from "./commands/gate-commands.js";
import { orderCommands } from "./commands/order-commands.js";
import { productCommands } from "./commands/product-commands.js";
import { referenceCommands } from "./commands/reference-commands.js";
import { supplierCommands } from "./commands/supplier-commands.js";
import { syncCommands } from "./commands/sync-commands.js";
import { userCommands } from "./commands/user-commands.js";

/**
 * Every CLI command, by group and verb: `npm run cli -- GROUP VERB`. The CLI dispatches on it, and
 * its help and docs/cli.md (`npm run docs:cli`) are written from each command's usage and summary.
 */
export const commandGroups: Record<string, Record<string, Command>> = {
  supplier: { ...supplierCommands, ...connectionCommands, ...gateCommands },
  sync: syncCommands,
  products: productCommands,
  reference: referenceCommands,
  orders: orderCommands,
  users: userCommands,
  audit: auditCommands,
  backup: backupCommands,
  conformance: conformanceCommands,
};

/** The CLI's exit codes (sysexits.h where one fits). */
export const EXIT = {
  /** The command refused, or found something wrong (a broken audit chain, a mark that does not verify). */
  failed: 1,
  usage: 64,
  /** EX_UNAVAILABLE: the database named by DATABASE_URL cannot be reached or opened. */
  unavailable: 69,
  /** EX_SOFTWARE: a failure none of the commands expects, i.e. a bug to report. */
  software: 70,
  config: 78,
} as const;

export function cliHelp(): string {
  const lines = ["usage: npm run cli -- GROUP VERB [flags] [--json]", ""];
  for (const commands of Object.values(commandGroups)) {
    for (const command of Object.values(commands)) lines.push(`  ${command.usage}`, `      ${command.summary}`);
  }
  return lines.join("\n");
}
