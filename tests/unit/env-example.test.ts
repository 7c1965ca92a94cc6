import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ConfigSchema, loadConfig } from "../../src/config/config.js";

const example = readFileSync(".env.example", "utf8");
const entries = new Map(
  example
    .split("\n")
    .filter((line) => /^[A-Z_]+=/.test(line))
    .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)] as const),
);

describe(".env.example mirrors the config schema", () => {
  it("lists every variable the schema reads, and nothing else", () => {
    expect([...entries.keys()].sort()).toEqual(Object.keys(ConfigSchema.shape).sort());
  });

  it("shows the schema's defaults, so the file loads to the same configuration", () => {
    const fromFile = loadConfig(Object.fromEntries(entries));
    expect(fromFile).toEqual(loadConfig({}));
  });
});
