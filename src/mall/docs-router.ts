import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Router } from "express";
import { renderReferencePage } from "../openapi/reference-page.js";

const SPEC_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "spec");

/**
 * `/docs`: a readable reference of the mall-side API rendered from the generated OpenAPI document,
 * self-contained (no resource from outside the machine); `/docs/openapi.json` is the document.
 */
export function docsRouter(): Router {
  const router = Router();
  let page: string | null = null;
  let document: string | null = null;
  const load = () => {
    document ??= readFileSync(join(SPEC_DIR, "mall-api.openapi.json"), "utf8");
    page ??= renderReferencePage(JSON.parse(document) as Parameters<typeof renderReferencePage>[0]);
    return { page, document };
  };
  router.get("/docs", (_req, res) => {
    res.type("html").send(load().page);
  });
  router.get("/docs/openapi.json", (_req, res) => {
    res.type("application/json").send(load().document);
  });
  return router;
}
