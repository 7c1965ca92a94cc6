import { describe, expect, it } from "vitest";
import { z } from "zod";
import { adminRoutes } from "../../src/admin/api/route-table.js";
import { buildAdminDocument } from "../../src/openapi/admin-document.js";

type Operation = { security: Array<Record<string, string[]>>; responses: Record<string, { content?: Record<string, { schema: Record<string, unknown> }> }> };
const paths = buildAdminDocument().paths as Record<string, Record<string, Operation>>;
const operationOf = (method: string, path: string) => {
  const operation = paths[`/admin/api${path.replace(/:(\w+)/g, "{$1}")}`]?.[method.toLowerCase()];
  if (!operation) throw new Error(`no operation for ${method} ${path}`);
  return operation;
};
const label = (r: { method: string; path: string }) => `${r.method} ${r.path}`;

describe("every admin route documents its answer", () => {
  it("declares a response schema, or a file for a download, never both", () => {
    const bare = adminRoutes.filter((r) => (r.response === undefined) === (r.file === undefined)).map(label);
    expect(bare).toEqual([]);
  });

  it("documents object answers with their properties, not a bare object", () => {
    const vague = adminRoutes
      .filter((r) => r.response)
      .filter((r) => {
        const schema = operationOf(r.method, r.path).responses[String(r.status ?? 200)]?.content?.["application/json"]?.schema;
        return !schema || (schema.type === "object" && schema.properties === undefined);
      })
      .map(label);
    expect(vague).toEqual([]);
  });

  it("documents a download under its media type", () => {
    for (const r of adminRoutes.filter((x) => x.file)) {
      const content = operationOf(r.method, r.path).responses["200"]?.content ?? {};
      expect(Object.keys(content), label(r)).toEqual([r.file?.mediaType]);
    }
  });

  it("asks for the session on every route but login, and the CSRF token on its state-changing ones", () => {
    for (const r of adminRoutes) {
      const { security } = operationOf(r.method, r.path);
      if (r.roles === "public") expect(security, label(r)).toEqual([]);
      else expect(security, label(r)).toEqual([r.method === "GET" ? { session: [] } : { session: [], csrfToken: [] }]);
    }
  });

  it("answers 401 and 403 on authenticated routes, 404 and 409 where the route says it can", () => {
    for (const r of adminRoutes) {
      const codes = Object.keys(operationOf(r.method, r.path).responses);
      expect(codes, label(r)).toContain("401");
      if (r.roles !== "public") expect(codes, label(r)).toContain("403");
      expect(codes.includes("404"), label(r)).toBe(r.errors?.includes("not_found") ?? false);
      expect(codes.includes("409"), label(r)).toBe(r.errors?.includes("conflict") ?? false);
    }
  });

  it("types the creates' 201 answers", () => {
    const creates = adminRoutes.filter((r) => r.status === 201).map(label);
    expect(creates).toEqual(["POST /users", "POST /suppliers", "POST /orders"]);
    for (const r of adminRoutes.filter((x) => x.status === 201)) expect(r.response).toBeInstanceOf(z.ZodObject);
  });
});
