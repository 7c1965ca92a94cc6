import { rmSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createApp } from "../src/app.js";
import { loadConfig } from "../src/config/config.js";
import { createContainer } from "../src/container.js";
import { createLogger } from "../src/lib/logger.js";
import { newSecret } from "../src/lib/ids.js";
import { startMaintenance } from "../src/maintenance.js";
import { startGatewayJobs } from "../src/scheduling/gateway-jobs.js";
import { creditCodeCheckChar } from "../src/security/credit-code.js";
import { createServer, listen } from "../src/server.js";
import { loadReferenceData } from "../src/simulator/reference-data.js";
import { loadScenarios } from "../src/simulator/scenario-runner.js";
import { startSimulator } from "../src/simulator/simulator-server.js";

/**
 * `npm run demo`: the gateway and a reference supplier side by side, connected and seeded. The
 * supplier changes its products a few times a second; the gateway pulls every 10 s, so within a
 * minute products flow in and sync logs fill. Before the first pull the supplier is certified
 * against its test environment (a second reference supplier, as a supplier's sandbox would be):
 * without the trust mark the production gate would not let it through. Starts from a clean demo
 * database each time.
 */
const { values } = parseArgs({
  options: {
    port: { type: "string", default: "8080" },
    "supplier-port": { type: "string", default: "9090" },
    products: { type: "string", default: "500" },
    rate: { type: "string", default: "3" },
    data: { type: "string", default: "./data/demo" },
  },
});
const dataDir = values.data ?? "./data/demo";
rmSync(dataDir, { recursive: true, force: true });
const env = {
  ...process.env,
  PORT: values.port,
  DATABASE_URL: join(dataDir, "gateway.db"),
  DATA_ENCRYPTION_KEY_FILE: join(dataDir, "master.key"),
  CONFORMANCE_REPORT_DIR: join(dataDir, "conformance"),
};
const config = loadConfig(env);
const logger = createLogger({ level: config.LOG_LEVEL, name: "emall-demo" });
const SUPPLIER_DOMAIN = "item.sim-supplier.cn";

async function main() {
  const fixturesDir = config.FIXTURES_DIR;
  // The account the supplier issues the mall (§2: each side issues the other one).
  const supplierAccount = { username: "tjzfcg_mall", password: newSecret(12), appSecret: newSecret(32), signMode: "hmac-sha256" as const };
  const simulator = await startSimulator(
    {
      account: supplierAccount,
      platformCode: config.PLATFORM_CODE,
      reference: loadReferenceData(fixturesDir),
      products: Number(values.products),
      changeRate: Number(values.rate),
      domain: SUPPLIER_DOMAIN,
      scenarios: loadScenarios(join(fixturesDir, "scenarios")),
    },
    { port: Number(values["supplier-port"]), logger: logger.child({ component: "reference-supplier" }) },
  );

  // The supplier's test environment: its own sandbox, with the account it issued the mall there.
  const sandboxAccount = { username: "tjzfcg_mall_test", password: newSecret(12), appSecret: newSecret(32), signMode: "hmac-sha256" as const };
  const sandbox = await startSimulator(
    {
      account: sandboxAccount,
      platformCode: config.PLATFORM_CODE,
      reference: loadReferenceData(fixturesDir),
      products: 60,
      domain: SUPPLIER_DOMAIN,
    },
    { port: 0, logger: logger.child({ component: "reference-supplier-sandbox" }) },
  );

  const container = await createContainer(config, logger);
  await container.referenceLoader.seedIfEmpty(fixturesDir);
  const first17 = "91120116MA05DEMQ1";
  const { credentials } = await container.supplierAccounts.create({
    code: "DEMO",
    name: "参考电商（演示）",
    creditCode: first17 + (creditCodeCheckChar(first17) ?? "0"),
    domains: [SUPPLIER_DOMAIN],
  });
  await container.supplierConnections.connect({
    code: "DEMO",
    baseUrl: simulator.url,
    ...supplierAccount,
    pullSchedule: "*/10 * * * * *",
    stockSchedule: "*/30 * * * * *",
    qps: 200,
    maxConcurrent: 8,
  });

  // Certification: the kit against the sandbox, a signed report, and the trust mark that opens the gate.
  const certification = await container.conformance.run({
    supplier: "DEMO",
    target: { baseUrl: sandbox.url, ...sandboxAccount, bodyFormat: "form" },
    actor: "demo",
  });
  if (!certification.run.passed) {
    const blocking = certification.report.summary.blocking.map((b) => `${b.step} ${b.title}`).join("; ");
    console.error(`certification of DEMO did not pass (${blocking}); the production gate will hold it. Report: ${certification.run.reportHtml}`);
  }

  // Console users, one per role (the supplier user belongs to DEMO), with passwords printed once below.
  const consoleUsers: Array<{ role: "admin" | "procurement" | "auditor" | "supplier"; password: string }> = [];
  for (const role of ["admin", "procurement", "auditor", "supplier"] as const) {
    const password = newSecret(12);
    await container.admin.users.create({ username: role, role, password, ...(role === "supplier" ? { supplier: "DEMO" } : {}) });
    consoleUsers.push({ role, password });
  }
  const server = createServer(createApp(container), config);
  const address = await listen(server, config.PORT, config.HOST);
  const maintenance = startMaintenance(container);
  const jobs = startGatewayJobs(container);
  const gateway = `http://${address.address}:${address.port}`;
  const cliEnv = `DATABASE_URL=${env.DATABASE_URL} DATA_ENCRYPTION_KEY_FILE=${env.DATA_ENCRYPTION_KEY_FILE}`;
  console.log(
    [
      "",
      "emall-gateway demo",
      `  gateway (mall side M-1…M-7)   ${gateway}    API reference: ${gateway}/docs`,
      `  reference supplier (S-1…S-12) ${simulator.url}    truth: ${simulator.url}/_sim/truth`,
      "",
      `  Certification of DEMO against its sandbox ${sandbox.url}: ${certification.run.passed ? "PASSED" : "FAILED"} (run ${certification.run.id})`,
      `    report      ${certification.run.reportJson}  (signature: ${certification.signaturePath})`,
      `    printable   ${certification.run.reportHtml}`,
      `    trust mark  ${certification.trustMark ?? "none"}`,
      `    check it:   ${cliEnv} npm run cli -- conformance verify --mark <JWS>   · keys: ${gateway}/.well-known/jwks.json`,
      "",
      "  The supplier DEMO may call the mall with the account the mall issued it:",
      `    username ${credentials.username}   password ${credentials.password}   appSecret ${credentials.appSecret}`,
      "",
      `  Console: ${gateway}/admin/   (users: admin, procurement, auditor, supplier of DEMO)`,
      ...consoleUsers.map((u) => `    ${u.role.padEnd(12)} password ${u.password}`),
      `  more users: ${cliEnv} npm run cli -- users create --username U --role admin|procurement|auditor|supplier [--supplier CODE] --password-stdin`,
      "",
      "  Watch the puller (every 10 s):",
      `    ${cliEnv} npm run cli -- sync logs --supplier DEMO`,
      `    ${cliEnv} npm run cli -- products list --supplier DEMO`,
      "",
      "  Ctrl-C stops both.",
      "",
    ].join("\n"),
  );

  const stop = async () => {
    maintenance.stop();
    await jobs.stop();
    simulator.sim.stop();
    server.closeAllConnections();
    server.close();
    await simulator.close();
    await sandbox.close();
    await container.supplierConnections.closeAll();
    container.close();
    process.exit(0);
  };
  process.once("SIGINT", () => void stop());
  process.once("SIGTERM", () => void stop());
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
