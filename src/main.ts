import { createApp } from "./app.js";
import { ConfigError, loadConfig } from "./config/config.js";
import { createContainer } from "./container.js";
import { createLogger } from "./lib/logger.js";
import { installProcessHandlers } from "./lib/process-handlers.js";
import { startMaintenance } from "./maintenance.js";
import { startAuditHeadLog } from "./admin/audit-head-log.js";
import { startGatewayJobs } from "./scheduling/gateway-jobs.js";
import { createServer, listen } from "./server.js";
import { STOP_DEADLINE_MS, stopGracefully } from "./ops/graceful-stop.js";
import { startWalCheckpointer } from "./store/wal-checkpointer.js";
import { DatabaseUnavailableError } from "./store/database.js";

/** sysexits.h: a bad setting (EX_CONFIG), and a database that cannot be reached (EX_UNAVAILABLE). */
const EXIT_CONFIG = 78;
const EXIT_UNAVAILABLE = 69;

/** Process entry: config → container → reference data → HTTP and schedules; stops gracefully on SIGINT/SIGTERM. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(e.message);
      process.exit(EXIT_CONFIG);
    }
    throw e;
  }
  const logger = createLogger({ level: config.LOG_LEVEL, name: "emall-gateway" });
  installProcessHandlers(logger);
  const container = await createContainer(config, logger);
  // On PostgreSQL, signed calls keep their account and the reference revision in memory while a listener hears no change.
  container.store.sql.changes.watch();
  const seeded = await container.referenceLoader.seedIfEmpty(config.FIXTURES_DIR);
  if (seeded) logger.info({ event: "reference.seeded", ...seeded }, "reference data loaded");

  const server = createServer(createApp(container), config);
  const address = await listen(server, config.PORT, config.HOST);
  const scheme = config.TLS_CERT ? "https" : "http";
  logger.info({ event: "server.listening", url: `${scheme}://${address.address}:${address.port}` }, "gateway listening");
  const maintenance = startMaintenance(container);
  const auditHead = startAuditHeadLog(container.admin.audit, logger);
  // PostgreSQL checkpoints on its own; SQLite's WAL is checkpointed off the event loop.
  const checkpointer =
    container.store.dialect === "sqlite"
      ? startWalCheckpointer(container.store, {
          onError: (err) => logger.warn({ err, event: "store.checkpointer.failed" }, "checkpoint worker stopped; SQLite checkpoints on commit again"),
        })
      : undefined;
  const jobs = config.SCHEDULER_ENABLED ? startGatewayJobs(container) : null;
  // Certification runs asked for from the portal, console or admin API: every instance serves the queue.
  container.conformanceRuns.start();
  container.production.start();
  if (jobs) container.runtime.scheduler = "running";

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ event: "server.stopping", signal }, "stopping");
    auditHead.stop();
    setTimeout(() => {
      logger.error({ event: "server.stop.deadline", deadlineMs: STOP_DEADLINE_MS }, "stop deadline passed; exiting");
      process.exit(1);
    }, STOP_DEADLINE_MS).unref();
    stopGracefully({ server, container, jobs, maintenance, checkpointer }).then(
      ({ drained, released }) => {
        logger.info({ event: "server.stopped", drained, released }, "stopped");
        process.exit(0);
      },
      (e: unknown) => {
        logger.error({ event: "server.stop.failed", err: e }, "stop failed");
        process.exit(1);
      },
    );
  };
  process.once("SIGINT", () => stop("SIGINT"));
  process.once("SIGTERM", () => stop("SIGTERM"));
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(e instanceof ConfigError ? EXIT_CONFIG : e instanceof DatabaseUnavailableError ? EXIT_UNAVAILABLE : 1);
});
