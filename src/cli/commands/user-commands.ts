import { userInfo } from "node:os";
import { AdminError } from "../../admin/admin-errors.js";
import { NewPassword, Role, SupplierCode, Username } from "../../admin/admin-users.js";
import type { Container } from "../../container.js";
import type { Transaction } from "../../store/sql/sql-store.js";
import { type Command, UsageError, flags, requireFlag, table } from "../cli-kit.js";

/** Who acts, in the audit log: the person at the terminal. */
const cliActor = () => `cli:${userInfo().username}`;

/** The password from stdin (first line), so it never sits in shell history or `ps`. */
async function readPasswordFromStdin(): Promise<string> {
  if (process.stdin.isTTY) throw new UsageError("--password-stdin: pipe the password in, e.g. printf '%s' \"$PW\" | npm run cli -- users create …");
  let text = "";
  for await (const chunk of process.stdin) text += String(chunk);
  const password = text.split(/\r?\n/)[0] ?? "";
  const parsed = NewPassword.safeParse(password);
  if (!parsed.success) throw new UsageError(`password: ${parsed.error.issues[0]?.message ?? "invalid"}`);
  return parsed.data;
}

function parse<T>(
  schema: { safeParse(v: unknown): { success: true; data: T } | { success: false; error: { issues: Array<{ message: string }> } } },
  value: unknown,
  flag: string,
): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new UsageError(`--${flag}: ${parsed.error.issues[0]?.message ?? "invalid"}`);
  return parsed.data;
}

/**
 * Runs a prepared change (hashing already done) and its audit row in one transaction. AdminError
 * (conflict, not found) is the CLI's refusal: usage errors carry the message and the usage line.
 */
async function guarded<T>(
  container: Container,
  action: string,
  target: string,
  prepare: () => Promise<(tx: Transaction) => Promise<T>>,
  summary: (r: T) => Record<string, unknown>,
): Promise<T> {
  try {
    const write = await prepare();
    return await container.store.sql.transaction(async (tx) => {
      const result = await write(tx);
      await container.admin.audit.recordIn(tx, { actor: cliActor(), action, target, summary: summary(result) });
      return result;
    });
  } catch (e) {
    if (e instanceof AdminError) {
      await container.admin.audit.record({ actor: cliActor(), action, target, outcome: "refused", summary: { error: e.message } });
      throw new UsageError(`${e.code}: ${e.message}`);
    }
    throw e;
  }
}

export const userCommands: Record<string, Command> = {
  create: {
    usage: "users create --username U --role admin|procurement|auditor|supplier [--supplier CODE] --password-stdin",
    summary:
      "create a console user (scrypt hash; the password is read from stdin, at least 12 characters); a supplier user names its supplier and sees only that supplier's data",
    async run({ argv, container }) {
      const v = flags(argv, { username: { type: "string" }, role: { type: "string" }, supplier: { type: "string" }, "password-stdin": { type: "boolean" } });
      const username = parse(Username, requireFlag(v, "username"), "username");
      const role = parse(Role, requireFlag(v, "role"), "role");
      const supplier = v.supplier === undefined ? undefined : parse(SupplierCode, v.supplier, "supplier");
      if (role === "supplier" && supplier === undefined) throw new UsageError("--supplier CODE is required for --role supplier");
      if (role !== "supplier" && supplier !== undefined) throw new UsageError("--supplier is only for --role supplier");
      if (!v["password-stdin"]) throw new UsageError("--password-stdin is required (passwords are never taken as flags)");
      const password = await readPasswordFromStdin();
      const user = await guarded(
        container,
        "user.create",
        username,
        () => container.admin.users.prepareCreate({ username, role, password, supplier }),
        (u) => ({ after: u }),
      );
      return { human: `created ${user.username} (${user.role}${user.supplier ? ` of ${user.supplier}` : ""}); log in at /admin/login`, json: { user } };
    },
  },
  list: {
    usage: "users list",
    summary: "console users, roles and status",
    async run({ argv, container }) {
      flags(argv, {});
      const users = await container.admin.users.list();
      return {
        human: table(
          users.map((u) => ({ ...u, supplier: u.supplier ?? "", createdAt: new Date(u.createdAt).toISOString() })),
          ["username", "role", "supplier", "status", "createdAt"],
        ),
        json: { users },
      };
    },
  },
  passwd: {
    usage: "users passwd --username U --password-stdin",
    summary: "set a user's password; their sessions end",
    async run({ argv, container }) {
      const v = flags(argv, { username: { type: "string" }, "password-stdin": { type: "boolean" } });
      const username = parse(Username, requireFlag(v, "username"), "username");
      if (!v["password-stdin"]) throw new UsageError("--password-stdin is required");
      const password = await readPasswordFromStdin();
      await guarded(
        container,
        "user.update",
        username,
        () => container.admin.users.prepareUpdate(username, { password }),
        () => ({ passwordChanged: true }),
      );
      return { human: `password of ${username} changed; their sessions ended`, json: { username } };
    },
  },
  role: {
    usage: "users role --username U --role admin|procurement|auditor|supplier [--supplier CODE]",
    summary: "change a user's role (a supplier user names its supplier); their sessions end",
    async run({ argv, container }) {
      const v = flags(argv, { username: { type: "string" }, role: { type: "string" }, supplier: { type: "string" } });
      const username = parse(Username, requireFlag(v, "username"), "username");
      const role = parse(Role, requireFlag(v, "role"), "role");
      const supplier = v.supplier === undefined ? undefined : parse(SupplierCode, v.supplier, "supplier");
      const r = await guarded(
        container,
        "user.update",
        username,
        () => container.admin.users.prepareUpdate(username, { role, supplier }),
        (x) => ({ before: x.before, after: x.after }),
      );
      return { human: `${username}: ${r.before.role} → ${r.after.role}`, json: { user: r.after } };
    },
  },
  ...Object.fromEntries(
    (["disable", "enable"] as const).map((verb): [string, Command] => [
      verb,
      {
        usage: `users ${verb} --username U`,
        summary: verb === "disable" ? "stop a user logging in; their sessions end" : "let a disabled user log in again",
        async run({ argv, container }) {
          const v = flags(argv, { username: { type: "string" } });
          const username = parse(Username, requireFlag(v, "username"), "username");
          const r = await guarded(
            container,
            "user.update",
            username,
            () => container.admin.users.prepareUpdate(username, { enabled: verb === "enable" }),
            (x) => ({ before: { status: x.before.status }, after: { status: x.after.status } }),
          );
          return { human: `${username}: ${r.after.status}`, json: { user: r.after } };
        },
      },
    ]),
  ),
};
