import { z } from "zod";
import { adminErrorStatus } from "../admin/admin-errors.js";
import { CSRF_HEADER, SESSION_COOKIE } from "../admin/admin-http.js";
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
  for (const [where, schema] of [["path", route.params], ["query", route.query]] as const) {
    if (!(schema instanceof z.ZodObject)) continue;
    for (const [name, field] of Object.entries(schema.shape as Record<string, z.ZodType>)) {
      const optional = field.safeParse(undefined).success;
      out.push({ name, in: where, required: where === "path" || !optional, schema: jsonSchema(field) });
    }
  }
  return out;
}

const errorResponse = (description: string) => ({ description, content: { "application/json": { schema: { $ref: "#/components/schemas/AdminError" } } } });

function operation(route: AdminRoute) {
  const writes = route.method !== "GET";
  const success = route.response ? jsonSchema(route.response) : { type: "object" };
  return {
    operationId: `${route.method.toLowerCase()}${route.path.replace(/\/:?(\w)/g, (_m, c: string) => c.toUpperCase()).replace(/[^A-Za-z0-9]/g, "")}`,
    summary: route.summary,
    description: `Roles: ${route.roles === "public" ? "anyone (login)" : route.roles.join(", ")}.${route.audit ? ` Audited as \`${route.audit}\`.` : ""}`,
    tags: [route.tag],
    ...(route.roles === "public" ? { security: [] } : {}),
    parameters: [...parameters(route), ...(writes && route.roles !== "public" ? [{ name: CSRF_HEADER, in: "header", required: true, schema: { type: "string" }, description: "The session's CSRF token (login answer or GET /session)." }] : [])],
    ...(route.body ? { requestBody: { required: true, content: { "application/json": { schema: jsonSchema(route.body) } } } } : {}),
    responses: {
      [route.method === "POST" && /^\/(users|suppliers|orders)$/.test(route.path) ? "201" : "200"]: { description: "Done.", content: { "application/json": { schema: success } } },
      "400": errorResponse("invalid_input: every bad field named in `fields`."),
      ...(route.roles === "public" ? { "429": errorResponse("locked: five failed logins within 15 minutes.") } : { "401": errorResponse("unauthenticated: no or expired session."), "403": errorResponse("forbidden (role) or csrf_failed.") }),
      "404": errorResponse("not_found."),
      ...(writes ? { "409": errorResponse("conflict: the state does not allow it now."), "415": errorResponse("unsupported_media_type: send application/json.") } : {}),
    },
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
        "Roles: admin (everything), procurement (orders, read products), auditor (read-only sync logs and audit log). Errors: honest HTTP statuses, one body shape.",
    },
    servers: [{ url: "/", description: "the gateway" }],
    paths,
    components: {
      schemas: { AdminError: jsonSchema(ErrorBody) },
      securitySchemes: { session: { type: "apiKey", in: "cookie", name: SESSION_COOKIE } },
    },
  };
}
