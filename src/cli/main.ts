import { existsSync } from "node:fs";
import { userInfo } from "node:os";
import { ConfigError, databaseTarget, loadConfig } from "../config/config.js";
import { createContainer } from "../container.js";
import { DomainError } from "../lib/errors.js";
import { createLogger } from "../lib/logger.js";
import { DatabaseUnavailableError } from "../store/database.js";
import { CommandFailed, type CommandResult, type DeferredCommandResult, UsageError, writeJsonStream } from "./cli-kit.js";
import { EXIT, cliHelp, commandGroups } from "./command-table.js";

/** Who acts, in the audit log: the person at the terminal. */
const cliActor = () => `cli:${userInfo().username}`;

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
  const command = group && verb ? commandGroups[group]?.[verb] : undefined;
  if (!command) {
    report(false, { error: { kind: "usage", message: "unknown command" } }, cliHelp());
    return argv.length === 0 || argv[0] === "help" || argv[0] === "--help" ? 0 : EXIT.usage;
  }
  let container;
  try {
    const config = loadConfig();
    const target = databaseTarget(config);
    if (command.needsExistingDatabase && target.kind === "sqlite" && target.path !== ":memory:" && !existsSync(target.path)) {
      throw new DomainError("not_found", `DATABASE_URL names no database: ${target.path} does not exist`);
    }
    container = await createContainer(
      config,
      createLogger({ level: config.LOG_LEVEL === "info" ? "warn" : config.LOG_LEVEL, name: "emall-cli", destination: process.stderr }),
    );
    await container.referenceLoader.seedIfEmpty(config.FIXTURES_DIR);
    const audited = container;
    const doneEntry = (result: CommandResult) =>
      command.audit ? { actor: cliActor(), action: command.audit, target: result.audit?.target ?? null, summary: result.audit?.summary ?? {} } : null;
    /** `commitIn`'s writes and the audit row in one transaction: neither lands without the other. */
    const settleIn = (out: DeferredCommandResult): Promise<CommandResult> =>
      audited.store.sql.transaction(async (tx) => {
        const done = await out.commitIn(tx);
        const entry = doneEntry(done);
        if (entry) await audited.admin.audit.recordIn(tx, entry);
        return done;
      });
    let result: CommandResult;
    const out = await command.run({ argv: rest, container, actor: cliActor() });
    if ("commitIn" in out) result = await settleIn(out);
    else {
      result = out;
      const entry = doneEntry(out);
      if (entry) await audited.admin.audit.record(entry);
    }
    if (json && result.stream) await writeJsonStream(process.stdout, result.json, result.stream);
    else report(true, result.json, result.human);
    return 0;
  } catch (e) {
    if (command.audit && container && !(e instanceof UsageError)) {
      // The command's own failure is what is reported; the database may be what failed both.
      await container.admin.audit
        .record({
          actor: cliActor(),
          action: command.audit,
          outcome: "refused",
          summary: { error: e instanceof Error ? e.message : String(e) },
        })
        .catch(() => undefined);
    }
    if (e instanceof UsageError) {
      report(false, { error: { kind: "usage", message: e.message } }, `${e.message}\nusage: npm run cli -- ${command.usage}`);
      return EXIT.usage;
    }
    if (e instanceof ConfigError) {
      report(false, { error: { kind: "config", message: e.message } }, e.message);
      return EXIT.config;
    }
    if (e instanceof DatabaseUnavailableError) {
      report(false, { error: { kind: "database", message: e.message } }, e.message);
      return EXIT.unavailable;
    }
    if (e instanceof CommandFailed) {
      report(false, { error: { kind: e.kind, message: e.message }, ...e.details }, `error: ${e.message}`);
      return EXIT.failed;
    }
    if (e instanceof DomainError) {
      report(false, { error: e.toJSON() }, `error: ${e.message}`);
      return EXIT.failed;
    }
    reportInternal(json, e);
    return EXIT.software;
  } finally {
    await container?.supplierConnections.closeAll();
    await container?.close();
  }
}

main(process.argv.slice(2)).then(
  // Exit only once stdout has drained: a pipe would otherwise lose the end of a long JSON line.
  (code) => process.stdout.write("", () => process.exit(code)),
  // What fails outside the command's own catch (closing the container, recording a refusal).
  (e: unknown) => {
    reportInternal(process.argv.includes("--json"), e);
    process.stdout.write("", () => process.exit(EXIT.software));
  },
);
