import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";

describe("the formatter", () => {
  it("finds every source, test and script file formatted as prettier writes it (npm run format)", () => {
    const run = spawnSync("npm", ["run", "-s", "format:check"], { encoding: "utf8", timeout: 120_000 });
    expect(run.stdout + run.stderr, "run npm run format").not.toMatch(/\[warn\]/);
    expect(run.status).toBe(0);
  }, 130_000);
});
