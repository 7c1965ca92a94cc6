import { SignMode } from "../../src/contract/index.js";
import type { RunningSimulator } from "../../src/simulator/simulator-server.js";
import { type TestClock, type TestGateway, nextCreditCode, startTestGateway } from "./harness.js";
import { type SimulatorLaunch, TEST_ACCOUNT, launchSimulator } from "./simulator-harness.js";

export const KIT_SUPPLIER = "KITSIM";
export const KIT_DOMAIN = "item.sim-supplier.cn";

export type ConformanceRig = {
  gw: TestGateway;
  sandbox: RunningSimulator;
  supplierId: number;
  /** The account the mall issued the supplier (for its own calls to the mall side). */
  mallAccount: { username: string; password: string; appSecret: string };
  close(): Promise<void>;
};

/** A gateway with a registered supplier and the supplier's sandbox: a reference supplier with few products. */
export async function startConformanceRig(launch: SimulatorLaunch = {}, env: Record<string, string> = {}, clock?: TestClock): Promise<ConformanceRig> {
  const gw = await startTestGateway({ SCHEDULER_ENABLED: "false", ...env }, clock);
  const sandbox = await launchSimulator({ domain: KIT_DOMAIN, products: 12, ...launch });
  const { credentials } = await gw.container.supplierAccounts.create({
    code: KIT_SUPPLIER,
    name: "参考电商（测试环境）",
    creditCode: await nextCreditCode(),
    domains: [KIT_DOMAIN],
  });
  const supplierId = (await gw.container.repos.accounts.supplierByCode(KIT_SUPPLIER))?.id ?? -1;
  return {
    gw,
    sandbox,
    supplierId,
    mallAccount: credentials,
    async close() {
      await gw.close();
      await sandbox.close();
    },
  };
}

/**
 * A certification run through the service, as `conformance run` makes it. A run empties the
 * sandbox's type-6 pool (the catalog step walks it to the end), so, as a supplier would before
 * running again, the sandbox re-announces its offered skus when that pool is empty.
 */
export function certify(rig: ConformanceRig, signMode: SignMode = SignMode.HmacSha256, bodyFormat: "form" | "json" = "form") {
  if (rig.sandbox.sim.pool.pending(6) === 0) rig.sandbox.sim.changes.publishPool();
  return rig.gw.container.conformance.run({
    supplier: KIT_SUPPLIER,
    target: { baseUrl: rig.sandbox.url, ...TEST_ACCOUNT, signMode, bodyFormat },
    actor: "test:conformance",
  });
}

/** The CLI on the rig's own database, key file and report folder, as an operator beside the gateway runs it. */
export const cliEnv = (rig: Pick<ConformanceRig, "gw">): Record<string, string> => ({
  DATABASE_URL: rig.gw.config.DATABASE_URL,
  DATA_ENCRYPTION_KEY_FILE: rig.gw.config.DATA_ENCRYPTION_KEY_FILE,
  CONFORMANCE_REPORT_DIR: rig.gw.config.CONFORMANCE_REPORT_DIR,
});
