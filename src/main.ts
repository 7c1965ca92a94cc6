import { createApp } from "./app.js";
import { ConfigError, loadConfig } from "./config/config.js";
import { createContainer } from "./container.js";
import { createLogger } from "./lib/logger.js";
import { installProcessHandlers } from "./lib/process-handlers.js";
import { startMaintenance } from "./maintenance.js";
import { startAuditHeadLog } from "./admin/audit-head-log.js";
import { startGatewayJobs } from "./scheduling/gateway-jobs.js";
import { createServer, listen } from "./server.js";

/** Process entry: config → container → reference data → HTTP; stops cleanly on SIGINT/SIGTERM. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(e.message);
      process.exit(78);
    }
    throw e;
  }
  const logger = createLogger({ level: config.LOG_LEVEL, name: "emall-gateway" });
  installProcessHandlers(logger);
  const container = createContainer(config, logger);
  const seeded = container.referenceLoader.seedIfEmpty(config.FIXTURES_DIR);
  if (seeded) logger.info({ event: "reference.seeded", ...seeded }, "reference data loaded");

  const server = createServer(createApp(container), config);
  const address = await listen(server, config.PORT, config.HOST);
  const scheme = config.TLS_CERT ? "https" : "http";
  logger.info({ event: "server.listening", url: `${scheme}://${address.address}:${address.port}` }, "gateway listening");
  const maintenance = startMaintenance(container);
  const auditHead = startAuditHeadLog(container.admin.audit, logger);
  const jobs = config.SCHEDULER_ENABLED ? startGatewayJobs(container) : null;

  const stop = (signal: string) => {
    logger.info({ event: "server.stopping", signal }, "stopping");
    maintenance.stop();
    auditHead.stop();
    void jobs?.stop();
    server.close(() => {
      void container.supplierConnections.closeAll().finally(() => {
        container.close();
        process.exit(0);
      });
    });
    server.closeAllConnections();
  };
  process.once("SIGINT", () => stop("SIGINT"));
  process.once("SIGTERM", () => stop("SIGTERM"));
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
