import { z } from "zod";
import { NewSupplierInput, type SupplierAccounts } from "../../accounts/supplier-accounts.js";
import { ConnectInput } from "../../connections/supplier-connections.js";
import { signModes } from "../../contract/index.js";
import type { OrderService } from "../../orders/order-service.js";
import type { SyncService } from "../../sync/sync-service.js";
import { AdminError } from "../admin-errors.js";
import { type ConnectionUpdateDeps, connectionSummary, updateConnection } from "../supplier-admin.js";
import { defineRouteWith, q } from "./route-types.js";
import { QuarantineRow, RunSummary } from "./views/sync-views.js";
import { ConnectionView, IssuedCredentials, PushPauseView, SupplierView } from "./views/supplier-views.js";

const Code = z.object({
  code: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9_-]{2,32}$/, "2–32 of [A-Za-z0-9_-]"),
});
const { code: _code, ...connectShape } = ConnectInput.shape;
const ConnectBody = z.object(connectShape);
const ConnectionChange = z
  .object({
    baseUrl: connectShape.baseUrl,
    signMode: z.enum(signModes),
    bodyFormat: z.enum(["form", "json"]),
    pullSchedule: connectShape.pullSchedule.unwrap(),
    stockSchedule: connectShape.stockSchedule.unwrap(),
    stockAreas: connectShape.stockAreas.unwrap(),
    maxConcurrent: connectShape.maxConcurrent.unwrap(),
    qps: connectShape.qps.unwrap(),
    timeoutMs: connectShape.timeoutMs.unwrap(),
  })
  .partial()
  .refine((b) => Object.keys(b).length > 0, { message: "nothing to change" });

/** The supplier accounts and connections, their paused order pushes, and pulling and quarantine now. */
export type SupplierRouteServices = ConnectionUpdateDeps & {
  supplierAccounts: Pick<SupplierAccounts, "list" | "show" | "prepareCreate" | "prepareRotate" | "setEnabled" | "setSignMode">;
  orders: Pick<OrderService, "pauses">;
  sync: Pick<SyncService, "pull" | "quarantineEntries">;
};

const defineRoute = defineRouteWith<SupplierRouteServices>();

/** Suppliers (电商) and the accounts each side issued the other. Administrators only. */
export const supplierRoutes = [
  defineRoute({
    method: "GET",
    path: "/suppliers",
    roles: ["admin"],
    tag: "suppliers",
    summary: "Every supplier with its mall account (no secrets).",
    response: z.object({ suppliers: z.array(SupplierView) }),
    handler: async ({ services }) => ({ body: { suppliers: await services.supplierAccounts.list() } }),
  }),
  defineRoute({
    method: "POST",
    path: "/suppliers",
    roles: ["admin"],
    tag: "suppliers",
    summary: "Register a supplier (统一社会信用代码 checked) and issue its mall account; the password and appSecret are answered once.",
    audit: "supplier.create",
    body: NewSupplierInput,
    response: z.object({ supplier: SupplierView, credentials: IssuedCredentials.required() }),
    status: 201,
    errors: ["conflict"],
    async handler({ body, services }) {
      const write = await services.supplierAccounts.prepareCreate(body);
      return {
        commitIn: async (tx) => {
          const { supplier, credentials } = await write(tx);
          return { status: 201, body: { supplier, credentials }, audit: { target: supplier.code, summary: { after: supplier } } };
        },
      };
    },
  }),
  defineRoute({
    method: "GET",
    path: "/suppliers/:code",
    roles: ["admin"],
    tag: "suppliers",
    summary: "A supplier's identity details (GB/T 主体身份): name, credit code, domains, contact, account; ?reveal=true decrypts the contact and is audited.",
    params: Code,
    query: z.object({ reveal: q.bool.optional() }),
    response: z.object({ supplier: SupplierView, connection: ConnectionView.nullable(), orderPushPause: PushPauseView.nullable() }),
    errors: ["not_found"],
    async handler({ params, query, services }) {
      const supplier = await services.supplierAccounts.show(params.code, query.reveal === true);
      let connection = null;
      try {
        connection = await services.supplierConnections.show(params.code);
      } catch {
        connection = null;
      }
      const orderPushPause = (await services.orders.pauses()).find((p) => p.supplier === supplier.code) ?? null;
      return { body: { supplier, connection, orderPushPause }, ...(query.reveal ? { audit: { action: "supplier.reveal_contact", summary: {} } } : {}) };
    },
  }),
  defineRoute({
    method: "PUT",
    path: "/suppliers/:code/connection",
    roles: ["admin"],
    tag: "suppliers",
    summary: "Connect the mall to the supplier's API (the account the supplier issued the mall), with schedules and limits.",
    audit: "supplier.connect",
    params: Code,
    body: ConnectBody,
    response: z.object({ connection: ConnectionView }),
    errors: ["not_found"],
    handler: ({ params, body, services }) => ({
      commitIn: async (tx) => {
        const connection = await services.supplierConnections.connect({ ...body, code: params.code }, tx);
        return { body: { connection }, audit: { summary: { after: connectionSummary(connection) } } };
      },
    }),
  }),
  defineRoute({
    method: "PATCH",
    path: "/suppliers/:code/connection",
    roles: ["admin"],
    tag: "suppliers",
    summary: "Change schedules, limits or transport of a connection; the account stays.",
    audit: "supplier.connection_update",
    params: Code,
    body: ConnectionChange,
    response: z.object({ connection: ConnectionView }),
    errors: ["not_found"],
    handler: ({ params, body, services }) => ({
      commitIn: async (tx) => {
        const { before, after } = await updateConnection(services, params.code, body, tx);
        return { body: { connection: after }, audit: { summary: { before: connectionSummary(before), after: connectionSummary(after) } } };
      },
    }),
  }),
  defineRoute({
    method: "POST",
    path: "/suppliers/:code/rotate",
    roles: ["admin"],
    tag: "suppliers",
    summary: "New password and/or appSecret for the supplier's mall account (answered once); every token it holds is revoked.",
    audit: "supplier.rotate_secrets",
    params: Code,
    body: z
      .object({ password: z.boolean().default(true), appSecret: z.boolean().default(true) })
      .refine((b) => b.password || b.appSecret, { message: "rotate the password, the appSecret or both" }),
    response: z.object({ credentials: IssuedCredentials }),
    errors: ["not_found"],
    async handler({ params, body, services }) {
      const write = await services.supplierAccounts.prepareRotate(params.code, body);
      return {
        commitIn: async (tx) => {
          const before = await services.supplierAccounts.show(params.code, false, tx);
          const credentials = await write(tx);
          const after = await services.supplierAccounts.show(params.code, false, tx);
          const rotated = [body.password ? "password" : null, body.appSecret ? "appSecret" : null].filter((x) => x !== null);
          return {
            body: { credentials },
            audit: { summary: { rotated, before: { credentialsVersion: before.credentialsVersion }, after: { credentialsVersion: after.credentialsVersion } } },
          };
        },
      };
    },
  }),
  defineRoute({
    method: "POST",
    path: "/suppliers/:code/status",
    roles: ["admin"],
    tag: "suppliers",
    summary: "Enable or disable a supplier; disabling revokes its tokens at once.",
    audit: "supplier.status",
    params: Code,
    body: z.object({ enabled: z.boolean() }),
    response: z.object({ supplier: SupplierView }),
    errors: ["not_found"],
    handler: ({ params, body, services }) => ({
      commitIn: async (tx) => {
        const before = await services.supplierAccounts.show(params.code, false, tx);
        const supplier = await services.supplierAccounts.setEnabled(params.code, body.enabled, tx);
        return { body: { supplier }, audit: { summary: { before: { status: before.status }, after: { status: supplier.status } } } };
      },
    }),
  }),
  defineRoute({
    method: "POST",
    path: "/suppliers/:code/sync",
    roles: ["admin"],
    tag: "suppliers",
    summary: "Pull the supplier's message pool now, under the same lease as the scheduler.",
    audit: "sync.run",
    params: Code,
    response: z.object({ run: RunSummary }),
    errors: ["not_found", "conflict"],
    async handler({ params, services }) {
      const attempt = await services.sync.pull(params.code, "manual");
      if (!attempt.ran)
        throw new AdminError("conflict", `a run for ${params.code} is in progress (${attempt.holder ?? "another runner"}); try again when it ends`);
      return { body: { run: attempt.summary }, audit: { summary: { after: { runId: attempt.summary.runId, status: attempt.summary.status } } } };
    },
  }),
  defineRoute({
    method: "POST",
    path: "/suppliers/:code/sign-mode",
    roles: ["admin"],
    tag: "suppliers",
    summary: "How the supplier's mall account signs its calls (hmac-sha256 or the legacy yggc-md5); its tokens stay valid.",
    audit: "supplier.sign_mode",
    params: Code,
    body: z.object({ signMode: z.enum(signModes) }),
    response: z.object({ supplier: SupplierView }),
    errors: ["not_found"],
    // The change and its audit row in one transaction, as from the CLI.
    handler: ({ params, body, services }) => ({
      commitIn: async (tx) => {
        const before = await services.supplierAccounts.show(params.code, false, tx);
        const supplier = await services.supplierAccounts.setSignMode(params.code, body.signMode, tx);
        return { body: { supplier }, audit: { summary: { before: { signMode: before.signMode }, after: { signMode: supplier.signMode } } } };
      },
    }),
  }),
  defineRoute({
    method: "GET",
    path: "/suppliers/:code/quarantine",
    roles: ["admin"],
    tag: "suppliers",
    summary: "The supplier's quarantined messages with the reason (last error), attempts and the raw body as stored, for the console's quarantine page.",
    params: Code,
    response: z.object({ supplier: z.string(), messages: z.array(QuarantineRow) }),
    errors: ["not_found"],
    async handler({ params, services }) {
      const messages = (await services.sync.quarantineEntries(params.code)).map((m) => ({
        messageId: m.messageId,
        type: m.type,
        sku: m.sku,
        unparseable: m.unparseable,
        reason: m.reason,
        attempts: m.attempts,
        receivedAt: Date.parse(m.receivedAt),
        settledAt: m.quarantinedAt === null ? null : Date.parse(m.quarantinedAt),
        lastRunId: m.lastRunId,
        rawBody: typeof m.raw === "string" ? m.raw : JSON.stringify(m.raw, null, 2),
      }));
      return { body: { supplier: params.code, messages } };
    },
  }),
];
