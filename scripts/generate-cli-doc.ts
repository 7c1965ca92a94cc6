import { writeFileSync } from "node:fs";
import { cliDocText } from "../src/cli/cli-doc.js";

/** `npm run docs:cli`: rewrites docs/cli.md from the CLI's command table. */
const PATH = "docs/cli.md";
writeFileSync(PATH, cliDocText());
console.log(`wrote ${PATH}`);
