import type { ConnectInput } from "../../connections/supplier-connections.js";
import { signModes } from "../../contract/index.js";
import { type Command, UsageError, flags, requireFlag, table } from "../cli-kit.js";

const intFlag = (v: unknown, name: string): number | undefined => {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new UsageError(`--${name} must be a whole number`);
  return n;
};

export const connectionCommands: Record<string, Command> = {
  connect: {
    usage:
      "supplier connect --code CODE --base-url URL --username U --password P --app-secret S [--sign-mode hmac-sha256|yggc-md5] [--encoding form|json] [--schedule CRON] [--stock-schedule CRON] [--stock-area P_C_C…] [--max-concurrent N] [--qps N] [--timeout-ms N]",
    summary: "record how the mall calls a supplier's API (the account it issued the mall is stored encrypted)",
    audit: "supplier.connect",
    run({ argv, container }) {
      const v = flags(argv, {
        code: { type: "string" },
        "base-url": { type: "string" },
        username: { type: "string" },
        password: { type: "string" },
        "app-secret": { type: "string" },
        "sign-mode": { type: "string" },
        encoding: { type: "string" },
        schedule: { type: "string" },
        "stock-schedule": { type: "string" },
        "stock-area": { type: "string", multiple: true },
        "max-concurrent": { type: "string" },
        qps: { type: "string" },
        "timeout-ms": { type: "string" },
      });
      const signMode = v["sign-mode"];
      if (signMode !== undefined && !(signModes as readonly string[]).includes(signMode))
        throw new UsageError(`--sign-mode must be one of ${signModes.join(", ")}`);
      const encoding = v.encoding;
      if (encoding !== undefined && encoding !== "form" && encoding !== "json") throw new UsageError("--encoding must be form or json");
      const input: ConnectInput = {
        code: requireFlag(v, "code"),
        baseUrl: requireFlag(v, "base-url"),
        username: requireFlag(v, "username"),
        password: requireFlag(v, "password"),
        appSecret: requireFlag(v, "app-secret"),
        signMode: signMode as (typeof signModes)[number] | undefined,
        bodyFormat: encoding,
        pullSchedule: v.schedule,
        stockSchedule: v["stock-schedule"],
        stockAreas: v["stock-area"],
        maxConcurrent: intFlag(v["max-concurrent"], "max-concurrent"),
        qps: intFlag(v.qps, "qps"),
        timeoutMs: intFlag(v["timeout-ms"], "timeout-ms"),
      };
      return {
        commitIn: async (tx) => {
          const connection = await container.supplierConnections.connect(input, tx);
          return {
            human: `supplier ${connection.supplierCode} connected to ${connection.baseUrl} (${connection.signMode}, ${connection.bodyFormat}); pulls "${connection.pullSchedule}", stock "${connection.stockSchedule}"`,
            json: { connection },
            audit: {
              target: connection.supplierCode,
              summary: {
                after: {
                  baseUrl: connection.baseUrl,
                  signMode: connection.signMode,
                  bodyFormat: connection.bodyFormat,
                  pullSchedule: connection.pullSchedule,
                  stockSchedule: connection.stockSchedule,
                  qps: connection.qps,
                  maxConcurrent: connection.maxConcurrent,
                },
              },
            },
          };
        },
      };
    },
  },
  connections: {
    usage: "supplier connections",
    summary: "every connected supplier with its schedules and limits",
    async run({ argv, container }) {
      flags(argv, {});
      const connections = await container.supplierConnections.list();
      return {
        human: table(connections, ["supplierCode", "baseUrl", "signMode", "bodyFormat", "pullSchedule", "stockSchedule", "qps", "maxConcurrent"]),
        json: { connections },
      };
    },
  },
};
