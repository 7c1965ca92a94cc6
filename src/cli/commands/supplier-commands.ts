import { userInfo } from "node:os";
import { signModes } from "../../contract/index.js";
import { type Command, UsageError, flags, requireFlag, table } from "../cli-kit.js";

const signModeOf = (value: unknown) => {
  if (value === undefined) return undefined;
  if (!(signModes as readonly unknown[]).includes(value)) throw new UsageError(`--sign-mode must be one of ${signModes.join(", ")}`);
  return value as (typeof signModes)[number];
};

const credentialLines = (c: { username: string; password?: string; appSecret?: string }) =>
  [
    `username:  ${c.username}`,
    c.password ? `password:  ${c.password}` : null,
    c.appSecret ? `appSecret: ${c.appSecret}` : null,
    "Shown once: hand them to the supplier over a secure channel; they are not stored in clear.",
  ]
    .filter(Boolean)
    .join("\n");

export const supplierCommands: Record<string, Command> = {
  create: {
    usage:
      "supplier create --code CODE --name NAME --credit-code USCC --domain DOMAIN [--domain DOMAIN…] [--username U] [--contact-name N] [--contact-phone P] [--sign-mode hmac-sha256|yggc-md5]",
    summary: "register a supplier and issue its mall account (password and appSecret printed once)",
    audit: "supplier.create",
    async run({ argv, container }) {
      const v = flags(argv, {
        code: { type: "string" },
        name: { type: "string" },
        "credit-code": { type: "string" },
        domain: { type: "string", multiple: true },
        username: { type: "string" },
        "contact-name": { type: "string" },
        "contact-phone": { type: "string" },
        "sign-mode": { type: "string" },
      });
      const write = await container.supplierAccounts.prepareCreate({
        code: requireFlag(v, "code"),
        name: requireFlag(v, "name"),
        creditCode: requireFlag(v, "credit-code"),
        domains: v.domain ?? [],
        username: v.username,
        contactName: v["contact-name"],
        contactPhone: v["contact-phone"],
        signMode: signModeOf(v["sign-mode"]),
      });
      return {
        commitIn: async (tx) => {
          const { supplier, credentials } = await write(tx);
          return {
            human: `supplier ${supplier.code} (${supplier.name}) created, sign mode ${supplier.signMode}\n${credentialLines(credentials)}`,
            json: { supplier, credentials },
            audit: { target: supplier.code, summary: { after: supplier } },
          };
        },
      };
    },
  },
  rotate: {
    usage: "supplier rotate --code CODE [--password] [--app-secret]   (neither flag: both)",
    summary: "issue a new password and/or appSecret; every token issued before is revoked",
    audit: "supplier.rotate_secrets",
    async run({ argv, container }) {
      const v = flags(argv, { code: { type: "string" }, password: { type: "boolean" }, "app-secret": { type: "boolean" } });
      const both = !v.password && !v["app-secret"];
      const write = await container.supplierAccounts.prepareRotate(requireFlag(v, "code"), {
        password: both || v.password === true,
        appSecret: both || v["app-secret"] === true,
      });
      return {
        commitIn: async (tx) => {
          const credentials = await write(tx);
          const rotated = [credentials.password ? "password" : null, credentials.appSecret ? "appSecret" : null].filter(Boolean);
          return {
            human: `rotated; all earlier tokens are revoked\n${credentialLines(credentials)}`,
            json: { credentials },
            audit: { target: v.code ?? null, summary: { rotated } },
          };
        },
      };
    },
  },
  disable: {
    usage: "supplier disable --code CODE",
    summary: "disable the supplier's account; its tokens stop working at once",
    audit: "supplier.status",
    run: setEnabled(false),
  },
  enable: {
    usage: "supplier enable --code CODE",
    summary: "enable a disabled supplier (it must log in again)",
    audit: "supplier.status",
    run: setEnabled(true),
  },
  "sign-mode": {
    usage: "supplier sign-mode --code CODE --mode hmac-sha256|yggc-md5",
    summary: "switch an account between §2 signing and the legacy yggc-md5 scheme",
    audit: "supplier.sign_mode",
    run({ argv, container }) {
      const v = flags(argv, { code: { type: "string" }, mode: { type: "string" } });
      const mode = signModeOf(requireFlag(v, "mode"));
      if (!mode) throw new UsageError("--mode is required");
      const code = requireFlag(v, "code");
      return {
        commitIn: async (tx) => {
          const supplier = await container.supplierAccounts.setSignMode(code, mode, tx);
          return {
            human: `supplier ${supplier.code} now signs with ${mode}`,
            json: { supplier },
            audit: { target: supplier.code, summary: { after: { signMode: mode } } },
          };
        },
      };
    },
  },
  list: {
    usage: "supplier list",
    summary: "every supplier with its account state",
    async run({ argv, container }) {
      flags(argv, {});
      const suppliers = await container.supplierAccounts.list();
      return {
        human: table(suppliers, ["code", "name", "creditCode", "status", "username", "signMode"]),
        json: { suppliers },
      };
    },
  },
  show: {
    usage: "supplier show --code CODE [--reveal]",
    summary: "one supplier; --reveal decrypts its contact details (audited)",
    async run({ argv, container }) {
      const v = flags(argv, { code: { type: "string" }, reveal: { type: "boolean" } });
      const supplier = await container.supplierAccounts.show(requireFlag(v, "code"), v.reveal === true);
      if (v.reveal)
        await container.admin.audit.record({ actor: `cli:${userInfo().username}`, action: "supplier.reveal_contact", target: supplier.code, summary: {} });
      const orderPushPause = (await container.orders.service.pauses()).find((p) => p.supplier === supplier.code) ?? null;
      const paused = orderPushPause
        ? `\norder pushes PAUSED since ${new Date(orderPushPause.since).toISOString()}: ${orderPushPause.reason} (orders resume --supplier ${supplier.code})`
        : "";
      return { human: JSON.stringify(supplier, null, 2) + paused, json: { supplier, orderPushPause } };
    },
  },
};

/** `supplier enable` and `disable`: the status change and its audit row in one transaction. */
function setEnabled(enabled: boolean): Command["run"] {
  return ({ argv, container }) => {
    const code = requireFlag(flags(argv, { code: { type: "string" } }), "code");
    return {
      commitIn: async (tx) => {
        const supplier = await container.supplierAccounts.setEnabled(code, enabled, tx);
        return {
          human: `supplier ${supplier.code} ${enabled ? "enabled" : "disabled"}`,
          json: { supplier },
          audit: { target: supplier.code, summary: { after: { status: supplier.status } } },
        };
      },
    };
  };
}
