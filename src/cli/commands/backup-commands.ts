import { parseArgs } from "node:util";
import { databaseTarget } from "../../config/config.js";
import { verifyBackup } from "../../ops/backup-verify.js";
import { auditKeysFromConfig } from "../../security/audit-keys.js";
import { backupStore, carryInbox, readReplacedInbox, settleRestored } from "../../store/backup.js";
import { type Command, CommandFailed, UsageError, flags, requireFlag, table } from "../cli-kit.js";

export const backupCommands: Record<string, Command> = {
  create: {
    usage: "backup create --to FILE",
    summary: "online backup of the database with SQLite's backup API, while the gateway runs",
    audit: "backup.create",
    needsExistingDatabase: true,
    async run({ argv, container }) {
      const v = flags(argv, { to: { type: "string" } });
      const result = await backupStore(container.store, requireFlag(v, "to"));
      return {
        human: `backup written: ${result.file} (${result.bytes} bytes, ${result.pages} pages); check it with: npm run cli -- backup verify ${result.file}`,
        json: { backup: result },
        audit: { target: result.file, summary: { bytes: result.bytes } },
      };
    },
  },
  verify: {
    usage: "backup verify FILE",
    summary: "integrity_check, the audit chain, and row counts against the database in use; exit 1 on a problem",
    needsExistingDatabase: true,
    async run({ argv, container }) {
      let parsed;
      try {
        parsed = parseArgs({ args: argv, options: { json: { type: "boolean" } }, allowPositionals: true, strict: true });
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
      const [file, ...extra] = parsed.positionals;
      if (!file || extra.length > 0) throw new UsageError("name exactly one backup FILE");
      const verdict = await verifyBackup(file, container.store, auditKeysFromConfig(container.config, container.keys));
      const human = [
        `integrity_check: ${verdict.integrity.join("; ")}`,
        verdict.audit === null
          ? "audit chain: not read (see the problems)"
          : verdict.audit.ok
            ? `audit chain intact: ${verdict.audit.rows} rows`
            : `audit chain broken at row ${verdict.audit.brokenAt}: ${verdict.audit.reason}`,
        `backup of this database: ${verdict.sameSource === null ? "unknown (no audit rows to compare)" : verdict.sameSource ? "yes" : "NO"}`,
        table(
          verdict.tables.map((t) => ({ ...t, difference: t.difference === null ? "" : t.difference > 0 ? `+${t.difference}` : String(t.difference) })),
          ["table", "backup", "source", "difference"],
        ),
        ...verdict.problems.map((p) => `problem: ${p}`),
      ].join("\n");
      if (!verdict.ok) throw new CommandFailed("backup_invalid", `${file}: ${verdict.problems.join("; ")}`, { verdict });
      return { human, json: { verdict } };
    },
  },
  "after-restore": {
    usage: "backup after-restore [--from REPLACED_DATABASE]",
    summary:
      "once a backup is in place (SQLite file or PostgreSQL restore): release the leases and close the runs it caught mid-way; with --from (the replaced file, or the replaced PostgreSQL database's URL), put back the messages it took from the pools after the backup",
    audit: "backup.after_restore",
    needsExistingDatabase: true,
    async run({ argv, container }) {
      const v = flags(argv, { from: { type: "string" } });
      // The replaced database first, read whole: one that cannot be read stops the command before anything changes.
      const replaced = v.from === undefined ? null : await readReplacedInbox(databaseTarget({ DATABASE_URL: v.from }));
      const now = container.clock();
      // The messages carried, the leases released, the runs closed and the audit row in one transaction.
      return {
        commitIn: async (tx) => {
          const carried = replaced === null ? null : { from: replaced.from, ...(await carryInbox(tx, replaced, now)) };
          const settled = await settleRestored(tx, now);
          const lines = [
            `released ${settled.leases} sync leases, ${settled.orderLeases} order leases and ${settled.callSlots} call slots; closed ${settled.runsClosed} runs caught mid-way`,
          ];
          if (carried)
            lines.push(
              `${carried.carried} messages back in the inbox as pending (${carried.known} already known, ${carried.unknownSupplier} of suppliers the backup does not have); the next run applies them`,
            );
          else lines.push("no --from: messages taken from the pools after the backup are not in this database (docs/operations/backups.md)");
          return {
            human: lines.join("\n"),
            json: { settled, carried },
            audit: { target: carried?.from ?? null, summary: { ...settled, carried: carried?.carried ?? null } },
          };
        },
      };
    },
  },
};
