import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { cliDocText } from "../../src/cli/cli-doc.js";
import { cliHelp, commandGroups } from "../../src/cli/command-table.js";

describe("docs/cli.md is generated from the CLI's command table", () => {
  it("is current (run npm run docs:cli)", () => {
    expect(readFileSync("docs/cli.md", "utf8")).toBe(cliDocText());
  });

  it("has a section with the usage and summary of every command the CLI dispatches", () => {
    const doc = cliDocText();
    const help = cliHelp();
    for (const [group, commands] of Object.entries(commandGroups)) {
      for (const [verb, command] of Object.entries(commands)) {
        expect(command.usage.startsWith(`${group} ${verb}`), `${group} ${verb}: usage starts with its group and verb`).toBe(true);
        expect(doc).toContain(`### ${group} ${verb}\n`);
        expect(doc).toContain(`npm run cli -- ${command.usage}\n`);
        expect(help).toContain(command.summary);
      }
    }
  });
});
