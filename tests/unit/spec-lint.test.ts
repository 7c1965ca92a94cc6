import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const DOCUMENTS = ["spec/admin-api.openapi.json", "spec/mall-api.openapi.json", "spec/supplier-api.openapi.json"];

type LintReport = { totals: { errors: number; warnings: number }; problems: Array<{ ruleId: string; message: string; location: Array<{ pointer: string }> }> };

/** `--format=json` prints one report per document, back to back. */
function reports(stdout: string): LintReport[] {
  return stdout
    .trim()
    .replace(/}\s*{/g, "}\u0000{")
    .split("\u0000")
    .map((text) => JSON.parse(text) as LintReport);
}

describe("spec/ passes redocly lint (redocly.yaml: the recommended rules)", () => {
  it("finds no errors and no warnings in the three documents", async () => {
    const out = await run("node_modules/.bin/redocly", ["lint", "--format=json", ...DOCUMENTS], {
      env: { ...process.env, REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_NOTIFICATIONS: "true" },
      maxBuffer: 16 * 1024 * 1024,
    }).catch((e: { stdout?: string; code?: number }) => ({ stdout: e.stdout ?? "", stderr: `exit ${String(e.code)}` }));
    const found = reports(out.stdout);
    expect(found).toHaveLength(DOCUMENTS.length);
    const problems = found.flatMap((r) => r.problems.map((p) => `${p.ruleId}: ${p.message} at ${p.location[0]?.pointer ?? "?"}`));
    expect(problems).toEqual([]);
    expect(found.map((r) => r.totals.errors + r.totals.warnings)).toEqual([0, 0, 0]);
  });
});
