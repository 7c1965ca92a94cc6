import { mkdtempSync, rmSync } from "node:fs";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createApp } from "../../src/app.js";
import { type Config, loadConfig } from "../../src/config/config.js";
import { type Container, createContainer } from "../../src/container.js";
import { type Logger, silentLogger } from "../../src/lib/logger.js";
import { createServer, listen } from "../../src/server.js";
import { testDatabaseUrl } from "./test-database.js";

export type TestClock = { now: () => number; advance(ms: number): void; set(ms: number): void };

export function testClock(start = Date.now()): TestClock {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms), set: (ms) => void (t = ms) };
}

export type TestGateway = {
  url: string;
  dir: string;
  config: Config;
  container: Container;
  clock: TestClock;
  close(): Promise<void>;
};

/** The real gateway app on an ephemeral port with a real SQLite file in a fresh temp folder. */
export async function startTestGateway(env: Record<string, string> = {}, clock = testClock(), logger: Logger = silentLogger()): Promise<TestGateway> {
  const dir = mkdtempSync(join(tmpdir(), "emall-gw-"));
  const config = loadConfig({
    // Given one, the gateway joins that database (a second instance beside another).
    DATABASE_URL: env.DATABASE_URL ?? (await testDatabaseUrl(dir)),
    DATA_ENCRYPTION_KEY_FILE: join(dir, "master.key"),
    CONFORMANCE_REPORT_DIR: join(dir, "conformance"),
    NODE_ENV: "test",
    ...env,
  });
  const container = await createContainer(config, logger, clock.now);
  container.store.sql.changes.watch();
  await container.referenceLoader.seedIfEmpty(config.FIXTURES_DIR);
  const server: Server = createServer(createApp(container), config);
  const address = await listen(server, 0, "127.0.0.1");
  return {
    url: `http://127.0.0.1:${address.port}`,
    dir,
    config,
    container,
    clock,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await container.conformanceRuns.stop();
      await container.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

let creditSerial = 0;
/** A valid 统一社会信用代码 for test suppliers (GB 32100 check character computed). */
export async function nextCreditCode(): Promise<string> {
  const { creditCodeCheckChar } = await import("../../src/security/credit-code.js");
  creditSerial += 1;
  const first17 = `9112011${String(100000000 + creditSerial).slice(-9)}0`.slice(0, 17);
  return first17 + creditCodeCheckChar(first17);
}
