// After `tsc -p tsconfig.build.json`: the files the compiled runtime reads beside its modules
// (migrations with their journal and the console's stylesheet, which tsc does not copy). Plain node,
// so a build needs no tsx.
import { cpSync } from "node:fs";

const ASSETS = ["store/migrations", "store/migrations-pg", "admin/console/assets"];

for (const path of ASSETS) cpSync(`src/${path}`, `dist/${path}`, { recursive: true });
