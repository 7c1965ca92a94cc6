import type { Request, RequestHandler, Response } from "express";
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

const rootLogger = Symbol("emall.rootLogger");
const childLogger = Symbol("emall.childLogger");
const startedAt = Symbol("emall.logStartedAt");
type WithContext = Request & { [rootLogger]: Logger; [childLogger]?: Logger };

/**
 * `req.log` is one getter on the request prototype, not one defined on each request. A getter
 * defined per object gives each request its own hidden class, kept in old space and pointing, through
 * the getter's closure, at that request's req and res: every request's objects then survived the
 * young-generation collections and were promoted, until an old-space mark-compact (every few seconds
 * under load) freed them. The child logger is still made on first use only.
 */
function requestLog(this: WithContext): Logger {
  return (this[childLogger] ??= this[rootLogger].child({ requestId: this.id }));
}
const prototypesWithLog = new WeakSet<object>();
function ensureLogGetter(req: Request): void {
  const prototype = Object.getPrototypeOf(req) as object | null;
  if (prototype === null || prototypesWithLog.has(prototype)) return;
  prototypesWithLog.add(prototype);
  Object.defineProperty(prototype, "log", { get: requestLog, configurable: true });
}

const accessLogger = Symbol("emall.accessLogger");

/**
 * The access line, one shared listener for every response (no closure per request). Its fields are
 * the gateway's own (method, path without the query, status, duration, request id), none of them a
 * redacted path, so it is written by a child logger without redaction: matching the wildcard
 * redaction paths against every line was most of the cost of logging it, about 12 % of a busy
 * gateway's CPU.
 */
function logAnswered(this: Response & { [startedAt]?: bigint }): void {
  const durationMs = Number(process.hrtime.bigint() - (this[startedAt] ?? 0n)) / 1e6;
  const req = this.req as WithContext & { [accessLogger]: Logger };
  req[accessLogger].info({ requestId: req.id, event: "http.request", method: req.method, path: req.path, status: this.statusCode, durationMs }, "request");
}

/**
 * A request id per request (the caller's, if sane), sent back and carried by the child logger.
 * The child logger is made on first use and the access line only when info is on: both are on
 * every request's path, and most requests log nothing else.
 */
export function requestContext(logger: Logger): RequestHandler {
  const access = logger.child({}, { redact: [] });
  return (req, res, next) => {
    const incoming = req.headers["x-request-id"];
    const id = typeof incoming === "string" && INCOMING_ID.test(incoming) ? incoming : nextRequestId();
    req.id = id;
    (req as WithContext)[rootLogger] = logger;
    ensureLogGetter(req);
    res.setHeader(REQUEST_ID_HEADER, id);
    if (logger.isLevelEnabled("info")) {
      (res as Response & { [startedAt]?: bigint })[startedAt] = process.hrtime.bigint();
      (req as WithContext & { [accessLogger]: Logger })[accessLogger] = access;
      res.on("finish", logAnswered);
    }
    next();
  };
}
