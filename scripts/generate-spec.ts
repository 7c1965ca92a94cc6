import { writeFileSync } from "node:fs";
import { buildAdminDocument } from "../src/openapi/admin-document.js";
import { buildMallDocument, buildSupplierDocument, documentText } from "../src/openapi/build-documents.js";

/** `npm run spec`: regenerates spec/ from the contract's zod schemas. */
const outputs = {
  "spec/mall-api.openapi.json": buildMallDocument(),
  "spec/supplier-api.openapi.json": buildSupplierDocument(),
  "spec/admin-api.openapi.json": buildAdminDocument(),
};
for (const [path, document] of Object.entries(outputs)) {
  writeFileSync(path, documentText(document));
  console.log(`wrote ${path}`);
}
