import type { Logger } from "./logger.js";

/**
 * Last-resort logging for the process: a promise nobody awaited that rejects is logged with what
 * is known about it and the process goes on (every job catches its own errors; this is for the one
 * that slipped through). An uncaught exception leaves the process in an unknown state: it is logged
 * and the process exits, for the supervisor to restart it.
 */
export function installProcessHandlers(logger: Logger, exit: (code: number) => void = (code) => process.exit(code)): () => void {
  const onRejection = (reason: unknown) => {
    logger.error(
      {
        event: "process.unhandled_rejection",
        err: reason,
        reasonType: reason instanceof Error ? reason.name : typeof reason,
        pid: process.pid,
        uptimeS: Math.round(process.uptime()),
      },
      "unhandled promise rejection",
    );
  };
  const onException = (err: Error, origin: string) => {
    logger.fatal({ event: "process.uncaught_exception", err, origin, pid: process.pid, uptimeS: Math.round(process.uptime()) }, "uncaught exception; exiting");
    exit(1);
  };
  process.on("unhandledRejection", onRejection);
  process.on("uncaughtException", onException);
  return () => {
    process.off("unhandledRejection", onRejection);
    process.off("uncaughtException", onException);
  };
}
