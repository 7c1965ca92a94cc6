import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";

describe("npm start before npm run build", () => {
  it("says what to run instead of dying with a raw module error", () => {
    const scripts = JSON.parse(readFileSync("package.json", "utf8")).scripts as Record<string, string>;
    expect(scripts.prestart).toBe("node scripts/require-build.mjs");
    const empty = mkdtempSync(join(tmpdir(), "emall-unbuilt-"));
    try {
      // npm runs prestart in the package folder; a folder without dist/ stands for a fresh clone.
      const run = spawnSync(process.execPath, [resolve("scripts/require-build.mjs")], { cwd: empty, encoding: "utf8" });
      expect(run.status).toBe(1);
      expect(run.stderr).toContain("Run `npm run build` first");
      expect(run.stderr).not.toMatch(/Cannot find module|at .*\(node:/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
