import { z } from "zod";
import {
  FailureEnvelope,
  type Operation,
  PlatformField,
  SIGN_HEADER,
  SIGN_TIMESTAMP_HEADER,
  SignedCallFields,
  errorDescriptions,
  mallOperations,
  supplierOperations,
} from "../contract/index.js";

/**
 * OpenAPI 3.1 documents generated from the contract's zod schemas — never written by hand.
 * OpenAPI 3.1 schemas are JSON Schema 2020-12, which zod emits natively.
 */
type JsonSchema = Record<string, unknown>;
export type OpenApiDocument = {
  openapi: "3.1.0";
  info: { title: string; version: string; description: string };
  servers: Array<{ url: string; description: string; variables?: Record<string, { default: string; description: string }> }>;
  tags: Array<{ name: string; description: string }>;
  paths: Record<string, unknown>;
  components: { schemas: Record<string, JsonSchema>; responses?: Record<string, unknown>; securitySchemes: Record<string, unknown> };
};

export const CONTRACT_VERSION = "2022.1";

function jsonSchema(schema: z.ZodType): JsonSchema {
  const out = z.toJSONSchema(schema, { target: "draft-2020-12", io: "input", unrepresentable: "any" }) as JsonSchema;
  delete out.$schema;
  return out;
}

function errorTable(codes: readonly number[]): string {
  return codes.map((c) => `- \`${c}\` ${errorDescriptions[c as keyof typeof errorDescriptions]}`).join("\n");
}

function requestSchema(operation: Operation, signed: boolean): JsonSchema {
  const fields = signed ? (operation.request as z.ZodObject).extend(SignedCallFields.shape) : operation.request;
  const schema = jsonSchema(fields);
  if (operation.aliases) {
    schema.description = `Aliases accepted: ${Object.entries(operation.aliases)
      .map(([a, c]) => `${a} → ${c}`)
      .join(", ")}.`;
  }
  return schema;
}

function pathItem(operation: Operation, signed: boolean, side: "mall" | "supplier") {
  const body = requestSchema(operation, signed);
  const success = { type: "object", required: ["success", "result"], properties: { success: { const: true }, result: jsonSchema(operation.result) } };
  return {
    post: {
      operationId: operation.id,
      summary: `${operation.id} ${operation.title}`,
      description:
        `${operation.summary}\n\n` +
        (signed ? "Carries `token` and, in hmac-sha256 mode, `timestamp`, `nonce`, `sign` (§2.2).\n\n" : "Token call (§2.1).\n\n") +
        `Error codes, checked in this order:\n${errorTable(operation.errors)}`,
      tags: [side],
      // §2.1: the token call is how a caller gets its token; its own fields (username, password, sign) prove who it is.
      security: signed ? [{ [SIGNED_BODY_SCHEME]: [] }] : [],
      requestBody: {
        required: true,
        content: {
          "application/x-www-form-urlencoded": { schema: body },
          "application/json": { schema: body },
        },
      },
      responses: {
        "200": {
          description: "Every enveloped answer, success or failure (§1).",
          headers: {
            [SIGN_TIMESTAMP_HEADER]: { description: "hmac-sha256 mode: signing time, yyyy-MM-dd HH:mm:ss.", schema: { type: "string" } },
            [SIGN_HEADER]: { description: 'hmac-sha256 mode: HMAC-SHA256(appSecret, timestamp + "\\n" + body), hex.', schema: { type: "string" } },
          },
          content: {
            "application/json": { schema: { oneOf: [success, { $ref: "#/components/schemas/FailureEnvelope" }] } },
          },
        },
        "405": {
          description: "Not POST; envelope with code 5099.",
          content: { "application/json": { schema: { $ref: "#/components/schemas/FailureEnvelope" } } },
        },
        "413": {
          description: "Body over 1 MiB; envelope with code 5099.",
          content: { "application/json": { schema: { $ref: "#/components/schemas/FailureEnvelope" } } },
        },
      },
    },
  };
}

const SIGNED_BODY_SCHEME = "signedBody";

/**
 * §2.2 in OpenAPI terms. OpenAPI has no body location for a credential, so the scheme is the
 * nearest (apiKey) and its description says where the fields really go; a header would be ignored.
 */
function signedBodyScheme(side: "mall" | "supplier") {
  return {
    type: "apiKey",
    in: "header",
    name: "token",
    description:
      "Not a header: the credentials travel in the request body (form field or JSON member), beside the call's own fields (§2.2). " +
      `\`token\` comes from the token call (${side === "mall" ? "M-1 /gyssc/token" : "S-1 /api/auth2/access_token"}); in hmac-sha256 mode the body also carries ` +
      "`timestamp` (yyyy-MM-dd HH:mm:ss, Beijing time, within 300 s), `nonce` (16–64 of [A-Za-z0-9], never reused within 600 s) and " +
      "`sign` = lowercase hex HMAC-SHA256(appSecret, every other non-empty field sorted by name as name=value joined by &). " +
      (side === "supplier" ? "Every call also carries `platformCode` (M-2). " : "") +
      "Each operation's request body schema lists these fields. In yggc-md5 mode a business call carries only `token`.",
    "x-location": "body",
  };
}

function build(side: "mall" | "supplier", operations: Record<string, Operation>, info: { title: string; description: string }): OpenApiDocument {
  const paths: Record<string, unknown> = {};
  for (const [name, operation] of Object.entries(operations)) {
    const signed = name !== "token";
    const op = signed && side === "supplier" ? { ...operation, request: (operation.request as z.ZodObject).extend(PlatformField.shape) } : operation;
    paths[operation.path] = pathItem(op, signed, side);
  }
  return {
    openapi: "3.1.0",
    info: {
      title: info.title,
      version: CONTRACT_VERSION,
      description: `${info.description}\n\nError codes (\`code\` of a failure envelope):\n${errorTable(Object.keys(errorDescriptions).map(Number))}`,
    },
    servers: [
      side === "mall"
        ? {
            url: "https://{host}",
            description: "The mall's docking host.",
            variables: { host: { default: "mall.example.gov.cn", description: "The host the mall publishes to its suppliers." } },
          }
        : {
            url: "{baseUrl}",
            description: "A supplier's API.",
            variables: {
              baseUrl: { default: "https://api.supplier.example.cn", description: "The base URL the supplier registered (the mall's connection to it)." },
            },
          },
    ],
    tags: [
      side === "mall"
        ? { name: "mall", description: "Interfaces the mall serves (M-1…M-7); suppliers call them." }
        : { name: "supplier", description: "Interfaces every supplier serves (S-1…S-12); the mall calls them." },
    ],
    paths,
    components: {
      schemas: { FailureEnvelope: jsonSchema(FailureEnvelope) },
      securitySchemes: { [SIGNED_BODY_SCHEME]: signedBodyScheme(side) },
    },
  };
}

export function buildMallDocument(): OpenApiDocument {
  return build("mall", mallOperations, {
    title: "电子卖场对接接口 — mall side (M-1…M-7)",
    description:
      "Interfaces the mall serves and suppliers call (Tianjin 电子卖场系统对接标准 7.1.1–7.1.7). " +
      "POST only; form or JSON bodies; one-line JSON envelope; HMAC-SHA256 request and response signing (§2).",
  });
}

export function buildSupplierDocument(): OpenApiDocument {
  return build("supplier", supplierOperations, {
    title: "电子卖场对接接口 — supplier side (S-1…S-12)",
    description:
      "Interfaces every supplier serves and the mall calls (Tianjin 电子卖场系统对接标准 7.2.1–7.2.12). " +
      "Every call but S-1 carries token and platformCode; responses are signed in hmac-sha256 mode (§2.3).",
  });
}

/** Stable text for committing: sorted by construction, 2-space indent, trailing newline. */
export function documentText(document: OpenApiDocument): string {
  return JSON.stringify(document, null, 2) + "\n";
}
