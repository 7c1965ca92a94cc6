import { join } from "node:path";
import { loadConfig } from "../../src/config/config.js";
import { createContainer } from "../../src/container.js";
import { silentLogger } from "../../src/lib/logger.js";
import { type GatewayProcess, spawnGateway } from "./gateway-process.js";
import { nextCreditCode } from "./harness.js";
import { MallCaller } from "./mall-caller.js";

/**
 * A gateway process on `databaseUrl` (scheduler off) with one supplier created before it starts,
 * and a mall caller holding that supplier's credentials (hmac-sha256): for tests that take the
 * database away under a serving gateway. `preload`: fault injectors for `spawnGateway`.
 */
export async function servedGateway(args: {
  databaseUrl: string;
  dir: string;
  supplier: { code: string; name: string; domain: string };
  env?: Record<string, string>;
  preload?: readonly string[];
}): Promise<{ gateway: GatewayProcess; base: string; caller: MallCaller }> {
  const env = {
    DATABASE_URL: args.databaseUrl,
    DATA_ENCRYPTION_KEY_FILE: join(args.dir, "master.key"),
    NODE_ENV: "test",
    HOST: "127.0.0.1",
    PORT: "0",
    LOG_LEVEL: "info",
    SCHEDULER_ENABLED: "false",
    ...args.env,
  };
  const container = await createContainer(loadConfig(env), silentLogger());
  const { credentials } = await container.supplierAccounts.create({
    code: args.supplier.code,
    name: args.supplier.name,
    creditCode: await nextCreditCode(),
    domains: [args.supplier.domain],
  });
  await container.close();
  const gateway = spawnGateway(env, args.preload);
  await gateway.listening;
  const base = gateway.url() ?? "";
  return { gateway, base, caller: new MallCaller(base, { ...credentials, signMode: "hmac-sha256" }) };
}
