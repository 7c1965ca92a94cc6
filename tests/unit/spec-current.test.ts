import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { buildAdminDocument } from "../../src/openapi/admin-document.js";
import { buildMallDocument, buildSupplierDocument, documentText } from "../../src/openapi/build-documents.js";

describe("spec/ is generated from src/contract", () => {
  it.each([
    ["spec/mall-api.openapi.json", buildMallDocument],
    ["spec/supplier-api.openapi.json", buildSupplierDocument],
    ["spec/admin-api.openapi.json", buildAdminDocument],
  ])("%s is current (run npm run spec)", (path, build) => {
    expect(readFileSync(path, "utf8")).toBe(documentText(build()));
  });

  it("describes every mall path with both body encodings and its error codes", () => {
    const doc = buildMallDocument();
    expect(Object.keys(doc.paths)).toEqual([
      "/gyssc/token",
      "/gyssc/platform/info",
      "/gyssc/platform/catalogs",
      "/gyssc/platform/getRegionPromise",
      "/catalogsParam",
      "/getAreas",
      "/brands",
    ]);
    const params = (doc.paths["/catalogsParam"] as { post: { requestBody: { content: Record<string, unknown> }; description: string } }).post;
    expect(Object.keys(params.requestBody.content)).toEqual(["application/x-www-form-urlencoded", "application/json"]);
    expect(params.description).toContain("5010");
  });
});
