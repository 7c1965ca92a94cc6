// Before `npm start`: the compiled gateway runs from dist/, which `npm run build` makes. Without it
// node would die with a raw "Cannot find module"; say instead what to run.
import { existsSync } from "node:fs";

if (!existsSync("dist/main.js")) {
  console.error("emall-gateway: dist/main.js is missing. Run `npm run build` first, then `npm start`; or `npm run dev` to run from source.");
  process.exit(1);
}
