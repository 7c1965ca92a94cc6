import type { RequestHandler } from "express";
import { newId } from "../lib/ids.js";
import type { Logger } from "../lib/logger.js";

declare module "express-serve-static-core" {
  interface Request {
    id: string;
    log: Logger;
  }
}

const INCOMING_ID = /^[A-Za-z0-9_.:-]{8,80}$/;

/**
 * Request ids: a random prefix per process and a counter, unique across processes and restarts
 * without drawing random bytes on every request (an allocation and a syscall on the hot path).
 */
const processPrefix = newId("req", 9);
let requestSerial = 0;
const nextRequestId = () => `${processPrefix}.${(requestSerial++).toString(36)}`;
export const REQUEST_ID_HEADER = "X-Request-Id";

/**
 * A request id per request (the caller's, if sane), sent back and carried by the child logger.
 * The child logger is made on first use and the access line only when info is on: both are on
 * every request's path, and most requests log nothing else.
 */
export function requestContext(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const incoming = req.headers["x-request-id"];
    const id = typeof incoming === "string" && INCOMING_ID.test(incoming) ? incoming : nextRequestId();
    req.id = id;
    let child: Logger | undefined;
    Object.defineProperty(req, "log", { get: () => (child ??= logger.child({ requestId: id })), configurable: true });
    res.setHeader(REQUEST_ID_HEADER, id);
    if (logger.isLevelEnabled("info")) {
      const started = process.hrtime.bigint();
      res.on("finish", () => {
        const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
        req.log.info({ event: "http.request", method: req.method, path: req.path, status: res.statusCode, durationMs }, "request");
      });
    }
    next();
  };
}
