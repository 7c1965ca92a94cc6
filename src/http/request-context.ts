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
export const REQUEST_ID_HEADER = "X-Request-Id";

/** A request id per request (the caller's, if sane), sent back and carried by the child logger. */
export function requestContext(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const incoming = req.get(REQUEST_ID_HEADER);
    req.id = incoming && INCOMING_ID.test(incoming) ? incoming : newId("req");
    req.log = logger.child({ requestId: req.id });
    res.setHeader(REQUEST_ID_HEADER, req.id);
    const started = process.hrtime.bigint();
    res.on("finish", () => {
      const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
      req.log.info({ event: "http.request", method: req.method, path: req.path, status: res.statusCode, durationMs }, "request");
    });
    next();
  };
}
