import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { loadConfig } from "../src/config/config.js";
import { createContainer } from "../src/container.js";
import { newSecret } from "../src/lib/ids.js";
import { silentLogger } from "../src/lib/logger.js";
import { creditCodeCheckChar } from "../src/security/credit-code.js";
import { loadReferenceData } from "../src/simulator/reference-data.js";
import { startSimulator } from "../src/simulator/simulator-server.js";

/**
 * One full certification run against the reference supplier (its default product count, in this
 * process, on loopback), timed, against the goal of 60 s. Prints the time per module and the ratio,
 * no verdict. Not part of the test suite.
 * Usage: npx tsx scripts/bench-conformance.ts [--products 500] [--runs 1]
 */
const { values } = parseArgs({ options: { products: { type: "string", default: "500" }, runs: { type: "string", default: "1" } } });
const GOAL_MS = 60_000;
const PRODUCTS = Number(values.products);
const RUNS = Number(values.runs);
const DOMAIN = "item.sim-supplier.cn";

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "emall-bench-kit-"));
  const config = loadConfig({
    ...process.env,
    DATABASE_URL: join(dir, "gateway.db"),
    DATA_ENCRYPTION_KEY_FILE: join(dir, "master.key"),
    CONFORMANCE_REPORT_DIR: join(dir, "reports"),
  });
  const container = await createContainer(config, silentLogger());
  await container.referenceLoader.seedIfEmpty(config.FIXTURES_DIR);
  const first17 = "91120116MA05BENC1";
  await container.supplierAccounts.create({
    code: "BENCH",
    name: "参考电商（基准）",
    creditCode: first17 + (creditCodeCheckChar(first17) ?? "0"),
    domains: [DOMAIN],
  });
  const account = { username: "tjzfcg_bench", password: newSecret(12), appSecret: newSecret(32), signMode: "hmac-sha256" as const };
  const reference = loadReferenceData(config.FIXTURES_DIR);
  const timings: number[] = [];
  try {
    for (let i = 0; i < RUNS; i++) {
      // A fresh sandbox per run, as a supplier would reset its test environment.
      const sandbox = await startSimulator({ account, platformCode: config.PLATFORM_CODE, reference, products: PRODUCTS, domain: DOMAIN });
      const moduleStarts = new Map<string, number>();
      const lines: string[] = [];
      const started = performance.now();
      const { run } = await container.conformance.run({
        supplier: "BENCH",
        target: { baseUrl: sandbox.url, ...account, bodyFormat: "form" },
        actor: "bench",
        onModule: (e) => {
          if (e.phase === "start") moduleStarts.set(e.module.id, performance.now());
          else
            lines.push(
              `  ${e.module.id.padEnd(18)} ${String(Math.round(performance.now() - (moduleStarts.get(e.module.id) ?? 0))).padStart(6)} ms  ${e.result?.status ?? ""}`,
            );
        },
      });
      const ms = performance.now() - started;
      timings.push(ms);
      await sandbox.close();
      console.log(`run ${i + 1}: ${run.passed ? "passed" : "FAILED"} in ${Math.round(ms)} ms (${PRODUCTS} products)`);
      console.log(lines.join("\n"));
    }
  } finally {
    await container.supplierConnections.closeAll();
    container.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const worst = Math.max(...timings);
  console.log(`full certification run: ${Math.round(worst)} ms; goal ≤ ${GOAL_MS} ms; ratio ${(worst / GOAL_MS).toFixed(3)}`);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : e);
  process.exit(1);
});
