import { existsSync } from "node:fs";
import { userInfo } from "node:os";
import { ConfigError, databaseTarget, loadConfig } from "../config/config.js";
import { createContainer } from "../container.js";
import { DomainError } from "../lib/errors.js";
import { createLogger } from "../lib/logger.js";
import { DatabaseUnavailableError, withTransaction } from "../store/database.js";
import { type Command, CommandFailed, type CommandResult, type DeferredCommandResult, UsageError, writeJsonStream } from "./cli-kit.js";
import { orderCommands } from "./commands/order-commands.js";
import { referenceCommands } from "./commands/reference-commands.js";
import { supplierCommands } from "./commands/supplier-commands.js";
import { connectionCommands } from "./commands/connection-commands.js";
import { productCommands } from "./commands/product-commands.js";
import { syncCommands } from "./commands/sync-commands.js";
import { userCommands } from "./commands/user-commands.js";
import { auditCommands } from "./commands/audit-commands.js";
import { backupCommands } from "./commands/backup-commands.js";
import { conformanceCommands } from "./commands/conformance-commands.js";
import { gateCommands } from "./commands/gate-commands.js";

/**
 * `npm run cli -- GROUP VERB [flags] [--json]`. With --json the last line printed is one JSON
 * object ({ok:true,…} or {ok:false,error}) for scripts; otherwise text for a person.
 */
const groups: Record<string, Record<string, Command>> = {
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

function help(): string {
  const lines = ["usage: npm run cli -- GROUP VERB [flags] [--json]", ""];
  for (const [group, commands] of Object.entries(groups)) {
    for (const command of Object.values(commands)) lines.push(`  ${command.usage}`, `      ${command.summary}`);
    void group;
  }
  return lines.join("\n");
}

/** Who acts, in the audit log: the person at the terminal. */
const cliActor = () => `cli:${userInfo().username}`;

const EXIT_USAGE = 64;
const EXIT_FAILED = 1;
const EXIT_CONFIG = 78;
/** sysexits.h EX_UNAVAILABLE: the database named by DATABASE_URL cannot be reached or opened. */
const EXIT_UNAVAILABLE = 69;
/** sysexits.h EX_SOFTWARE: a failure none of the commands expects, i.e. a bug to report. */
const EXIT_SOFTWARE = 70;

/** The last resort: a failure of no known kind still answers in the CLI's shape, not with a stack trace. */
function reportInternal(json: boolean, e: unknown): void {
  const message = e instanceof Error ? e.message : String(e);
  if (json) process.stdout.write(JSON.stringify({ ok: false, error: { kind: "internal", message } }) + "\n");
  else process.stderr.write(`error: ${message}\n`);
}

async function main(argv: string[]): Promise<number> {
  const json = argv.includes("--json");
  const report = (ok: boolean, payload: Record<string, unknown>, human: string) => {
    if (json) process.stdout.write(JSON.stringify({ ok, ...payload }) + "\n");
    else if (ok) process.stdout.write(human + "\n");
    else process.stderr.write(human + "\n");
  };
  const [group, verb, ...rest] = argv;
  const command = group && verb ? groups[group]?.[verb] : undefined;
  if (!command) {
    report(false, { error: { kind: "usage", message: "unknown command" } }, help());
    return argv.length === 0 || argv[0] === "help" || argv[0] === "--help" ? 0 : EXIT_USAGE;
  }
  let container;
  try {
    const config = loadConfig();
    const target = databaseTarget(config);
    if (command.needsExistingDatabase && target.kind === "sqlite" && target.path !== ":memory:" && !existsSync(target.path)) {
      throw new DomainError("not_found", `DATABASE_URL names no database: ${target.path} does not exist`);
    }
    container = createContainer(config, createLogger({ level: config.LOG_LEVEL === "info" ? "warn" : config.LOG_LEVEL, name: "emall-cli", destination: process.stderr }));
    container.referenceLoader.seedIfEmpty(config.FIXTURES_DIR);
    const audited = container;
    const recordDone = (result: CommandResult) => {
      if (command.audit) audited.admin.audit.record({ actor: cliActor(), action: command.audit, target: result.audit?.target ?? null, summary: result.audit?.summary ?? {} });
    };
    const settle = (out: CommandResult | DeferredCommandResult): CommandResult =>
      withTransaction(audited.store, () => {
        const done = "commit" in out ? out.commit() : out;
        recordDone(done);
        return done;
      });
    let result: CommandResult;
    if (command.atomic) {
      result = withTransaction(container.store, () => {
        const out = command.run({ argv: rest, container: audited, actor: cliActor() });
        if (out instanceof Promise) throw new Error(`atomic command ${group} ${verb} must be synchronous`);
        return settle(out);
      });
    } else {
      const out = await command.run({ argv: rest, container, actor: cliActor() });
      if ("commit" in out) result = settle(out);
      else {
        result = out;
        recordDone(out);
      }
    }
    if (json && result.stream) await writeJsonStream(process.stdout, result.json, result.stream);
    else report(true, result.json, result.human);
    return 0;
  } catch (e) {
    if (command.audit && container && !(e instanceof UsageError)) {
      container.admin.audit.record({ actor: cliActor(), action: command.audit, outcome: "refused", summary: { error: e instanceof Error ? e.message : String(e) } });
    }
    if (e instanceof UsageError) {
      report(false, { error: { kind: "usage", message: e.message } }, `${e.message}\nusage: npm run cli -- ${command.usage}`);
      return EXIT_USAGE;
    }
    if (e instanceof ConfigError) {
      report(false, { error: { kind: "config", message: e.message } }, e.message);
      return EXIT_CONFIG;
    }
    if (e instanceof DatabaseUnavailableError) {
      report(false, { error: { kind: "database", message: e.message } }, e.message);
      return EXIT_UNAVAILABLE;
    }
    if (e instanceof CommandFailed) {
      report(false, { error: { kind: e.kind, message: e.message }, ...e.details }, `error: ${e.message}`);
      return EXIT_FAILED;
    }
    if (e instanceof DomainError) {
      report(false, { error: e.toJSON() }, `error: ${e.message}`);
      return EXIT_FAILED;
    }
    reportInternal(json, e);
    return EXIT_SOFTWARE;
  } finally {
    await container?.supplierConnections.closeAll();
    container?.close();
  }
}

main(process.argv.slice(2)).then(
  // Exit only once stdout has drained: a pipe would otherwise lose the end of a long JSON line.
  (code) => process.stdout.write("", () => process.exit(code)),
  // What fails outside the command's own catch (closing the container, recording a refusal).
  (e: unknown) => {
    reportInternal(process.argv.includes("--json"), e);
    process.stdout.write("", () => process.exit(EXIT_SOFTWARE));
  },
);
