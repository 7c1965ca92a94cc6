import { z } from "zod";
import { adminErrorStatus } from "../admin/admin-errors.js";
import { CSRF_HEADER, SESSION_COOKIE } from "../admin/admin-http.js";
import { SESSION_IDLE_MS, SESSION_MAX_MS } from "../admin/admin-sessions.js";
import { adminRoutes } from "../admin/api/route-table.js";
import type { AdminRoute } from "../admin/api/route-types.js";
import type { OpenApiDocument } from "./build-documents.js";

/** The admin API's OpenAPI 3.1 document, generated from its route table and zod schemas — never by hand. */
type JsonSchema = Record<string, unknown>;

export const ADMIN_API_VERSION = "1.0.0";

function jsonSchema(schema: z.ZodType): JsonSchema {
  const out = z.toJSONSchema(schema, { target: "draft-2020-12", io: "input", unrepresentable: "any" }) as JsonSchema;
  delete out.$schema;
  return out;
}

const ErrorBody = z.object({
  error: z.object({
    code: z.enum(Object.keys(adminErrorStatus) as [keyof typeof adminErrorStatus, ...Array<keyof typeof adminErrorStatus>]),
    message: z.string(),
    requestId: z.string().describe("Also in the X-Request-Id header; quote it to the operators."),
    fields: z.array(z.object({ field: z.string().describe("params.…, query.… or body.… with [i] for list items"), message: z.string() })).optional(),
  }),
});

function parameters(route: AdminRoute): JsonSchema[] {
  const out: JsonSchema[] = [];
  for (const [where, schema] of [
    ["path", route.params],
    ["query", route.query],
  ] as const) {
    if (!(schema instanceof z.ZodObject)) continue;
    for (const [name, field] of Object.entries(schema.shape as Record<string, z.ZodType>)) {
      const optional = field.safeParse(undefined).success;
      out.push({ name, in: where, required: where === "path" || !optional, schema: jsonSchema(field) });
    }
  }
  return out;
}

/** Every error the admin API answers, as shared responses with the envelope above. */
const errorResponses = {
  InvalidInput: "invalid_input: every bad field named in `fields` (also a body that is not JSON).",
  Unauthenticated: "unauthenticated: no session, or it expired or ended.",
  Forbidden: "forbidden: the role may not call this; csrf_failed: a state-changing call without the session's X-CSRF-Token.",
  NotFound: "not_found: what the path or a filter names does not exist (or is outside a supplier user's own data).",
  Conflict: "conflict: the state does not allow it now (the message says why).",
  PayloadTooLarge: "payload_too_large: the body is over 256 KiB.",
  UnsupportedMediaType: "unsupported_media_type: send application/json.",
  Locked: "locked: five failed logins within 15 minutes lock the username for 15 minutes.",
  RateLimited: "rate_limited: a daily cap is reached (the message names it and when it resets).",
  SupplierUnavailable: "supplier_unavailable: the supplier could not be reached or did not answer as the contract says.",
} as const;
const errorRef = (name: keyof typeof errorResponses) => ({ $ref: `#/components/responses/${name}` });

/** The admin API's tags, in the order a reader meets them. */
const tagDescriptions: Record<string, string> = {
  session: "Log in and out, the current session, your own password.",
  users: "Console users and their roles (admin only).",
  dashboard: "Figures for the console's first page and its charts.",
  suppliers: "Suppliers (电商), their mall accounts, the mall's connection to their API, manual pulls and quarantine.",
  sync: "Sync runs, the fate of every pulled message, the supplier calls behind them, replay of quarantined messages.",
  products: "The mall's product store as synced from suppliers, its §7 validation and the listing step.",
  orders: "Orders: intake, push to the supplier (S-11/S-12), retries and paused pushes.",
  conformance: "Certification runs against a supplier's sandbox, signed reports, trust marks and the production gate.",
  audit: "The hash-chained audit log (admin, auditor).",
  exports: "CSV downloads (UTF-8 with BOM, for Excel), streamed.",
};

const SESSION_SCHEME = "session";
const CSRF_SCHEME = "csrfToken";

function successResponse(route: AdminRoute) {
  if (route.file) {
    return {
      description: route.file.description,
      headers: { "Content-Disposition": { description: 'attachment; filename="…"', schema: { type: "string" } } },
      content: { [route.file.mediaType]: { schema: { type: "string" } } },
    };
  }
  if (!route.response) throw new Error(`admin route ${route.method} ${route.path} declares neither a response schema nor a file`);
  return {
    description: route.status === 201 ? "Created." : route.status === 202 ? "Accepted: queued, and done in the background." : "Done.",
    content: { "application/json": { schema: jsonSchema(route.response) } },
  };
}

function errorsOf(route: AdminRoute) {
  const writes = route.method !== "GET";
  const takesInput = writes || route.params !== undefined || route.query !== undefined || route.body !== undefined;
  const domain = new Set(route.errors ?? []);
  return {
    ...(takesInput ? { "400": errorRef("InvalidInput") } : {}),
    "401": errorRef("Unauthenticated"),
    ...(route.roles === "public" ? {} : { "403": errorRef("Forbidden") }),
    ...(domain.has("not_found") ? { "404": errorRef("NotFound") } : {}),
    ...(domain.has("conflict") ? { "409": errorRef("Conflict") } : {}),
    ...(writes ? { "413": errorRef("PayloadTooLarge"), "415": errorRef("UnsupportedMediaType") } : {}),
    ...(route.roles === "public" ? { "429": errorRef("Locked") } : domain.has("rate_limited") ? { "429": errorRef("RateLimited") } : {}),
    ...(domain.has("supplier_unavailable") ? { "502": errorRef("SupplierUnavailable") } : {}),
  };
}

function operation(route: AdminRoute) {
  const writes = route.method !== "GET";
  const security = route.roles === "public" ? [] : [writes ? { [SESSION_SCHEME]: [], [CSRF_SCHEME]: [] } : { [SESSION_SCHEME]: [] }];
  return {
    operationId: `${route.method.toLowerCase()}${route.path.replace(/\/:?(\w)/g, (_m, c: string) => c.toUpperCase()).replace(/[^A-Za-z0-9]/g, "")}`,
    summary: route.summary,
    description: `Roles: ${route.roles === "public" ? "anyone (login)" : route.roles.join(", ")}.${route.audit ? ` Audited as \`${route.audit}\`.` : ""}`,
    tags: [route.tag],
    security,
    ...(route.params || route.query ? { parameters: parameters(route) } : {}),
    ...(route.body ? { requestBody: { required: true, content: { "application/json": { schema: jsonSchema(route.body) } } } } : {}),
    responses: { [String(route.status ?? 200)]: successResponse(route), ...errorsOf(route) },
  };
}

export function buildAdminDocument(): OpenApiDocument {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of adminRoutes) {
    const path = `/admin/api${route.path.replace(/:(\w+)/g, "{$1}")}`;
    (paths[path] ??= {})[route.method.toLowerCase()] = operation(route);
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "emall-gateway admin API",
      version: ADMIN_API_VERSION,
      description:
        "Suppliers, sync logs, products and listing, orders, users and the audit log. Log in with POST /admin/api/login; " +
        `the ${SESSION_COOKIE} cookie (httpOnly, SameSite=Strict, Secure over HTTPS) carries the session and every POST/PUT/PATCH sends ${CSRF_HEADER}. ` +
        "Roles: admin (everything), procurement (orders, read products), auditor (read-only sync logs and audit log), supplier (its own supplier's runs, products and orders). Errors: honest HTTP statuses, one body shape.",
    },
    servers: [{ url: "/", description: "The gateway itself: the admin API is served beside the console, on the same origin." }],
    tags: usedTags(),
    paths,
    components: {
      schemas: { AdminError: jsonSchema(ErrorBody) },
      responses: Object.fromEntries(
        Object.entries(errorResponses).map(([name, description]) => [
          name,
          { description, content: { "application/json": { schema: { $ref: "#/components/schemas/AdminError" } } } },
        ]),
      ),
      securitySchemes: {
        [SESSION_SCHEME]: {
          type: "apiKey",
          in: "cookie",
          name: SESSION_COOKIE,
          description: `The console session: POST /admin/api/login sets it (httpOnly, SameSite=Strict, Secure over HTTPS); it ends after ${SESSION_IDLE_MS / 60_000} idle minutes or ${SESSION_MAX_MS / 3_600_000} hours.`,
        },
        [CSRF_SCHEME]: {
          type: "apiKey",
          in: "header",
          name: CSRF_HEADER,
          description: "The session's CSRF token, answered by login and GET /admin/api/session; every POST/PUT/PATCH of a session sends it.",
        },
      },
    },
  };
}

/** Tags in first-use order; a tag without a description fails the build of the document. */
function usedTags(): Array<{ name: string; description: string }> {
  return [...new Set(adminRoutes.map((r) => r.tag))].map((name) => {
    const description = tagDescriptions[name];
    if (!description) throw new Error(`admin API tag ${name} has no description in admin-document.ts`);
    return { name, description };
  });
}
