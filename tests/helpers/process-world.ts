import { join } from "node:path";
import { expect } from "vitest";
import { loadConfig } from "../../src/config/config.js";
import { type Container, createContainer } from "../../src/container.js";
import { silentLogger } from "../../src/lib/logger.js";
import type { RunningSimulator } from "../../src/simulator/simulator-server.js";
import { nextCreditCode } from "./harness.js";
import { SIM_DOMAIN } from "./puller-harness.js";
import { FIXTURES_DIR, TEST_ACCOUNT, type SimulatorLaunch, launchSimulator } from "./simulator-harness.js";

/** What gateway processes (`spawnGateway(env)`) share with the test: one database, one supplier, its first drain done. */
export type ProcessWorld = {
  /** The environment of every gateway process on this database (add to it per process). */
  env: Record<string, string>;
  sim: RunningSimulator;
  /** The test's own view of the database, its scheduler off. */
  container: Container;
  supplierId: number;
};

/**
 * The reference supplier, and in `databaseUrl` a supplier registered, connected to it (a pull every
 * second), waived from certification and drained once, as a centre would have it before starting its
 * gateways. `env` adds to the gateways' environment; `connection` to the connection's settings.
 */
export async function startProcessWorld(args: {
  databaseUrl: string;
  dir: string;
  code: string;
  name: string;
  simulator?: SimulatorLaunch;
  env?: Record<string, string>;
  connection?: { qps?: number; maxConcurrent?: number; timeoutMs?: number };
}): Promise<ProcessWorld> {
  const env = {
    DATABASE_URL: args.databaseUrl,
    DATA_ENCRYPTION_KEY_FILE: join(args.dir, "master.key"),
    CONFORMANCE_REPORT_DIR: join(args.dir, "conformance"),
    NODE_ENV: "test",
    HOST: "127.0.0.1",
    PORT: "0",
    LOG_LEVEL: "info",
    FIXTURES_DIR,
    ...args.env,
  };
  const sim = await launchSimulator({ products: 40, domain: SIM_DOMAIN, offShelfShare: 0, ...args.simulator });
  const container = await createContainer(loadConfig({ ...env, SCHEDULER_ENABLED: "false" }), silentLogger());
  await container.referenceLoader.seedIfEmpty(FIXTURES_DIR);
  await container.supplierAccounts.create({ code: args.code, name: args.name, creditCode: await nextCreditCode(), domains: [SIM_DOMAIN] });
  const supplierId = (await container.repos.accounts.supplierByCode(args.code))?.id ?? -1;
  await container.supplierConnections.connect({
    code: args.code,
    baseUrl: sim.url,
    ...TEST_ACCOUNT,
    pullSchedule: "* * * * * *",
    stockSchedule: "0 0 1 1 *",
    qps: 200,
    maxConcurrent: 4,
    timeoutMs: 1_000,
    ...args.connection,
  });
  await container.conformance.waive(args.code, "test of the reference supplier", `test:${args.code.toLowerCase()}`);
  const first = await container.sync.pull(args.code, "manual");
  expect(first.ran && first.summary.status, JSON.stringify(first.ran && first.summary.errors.slice(0, 2))).toBe("succeeded");
  await container.supplierConnections.closeAll();
  return { env, sim, container, supplierId };
}
