import express, { type ErrorRequestHandler, type RequestHandler } from "express";
import { ErrorCode, failure } from "../contract/index.js";
import type { Logger } from "../lib/logger.js";
import { PgUnavailableError } from "../store/sql/pg-errors.js";
import { writeFailure } from "./envelope-response.js";

/** §1: request bodies are at most 1 MiB. */
export const BODY_LIMIT_BYTES = 1024 * 1024;

/** Form and JSON bodies (§1); any other content type leaves the body empty. */
export function bodyParsers(): RequestHandler[] {
  return [express.urlencoded({ extended: false, limit: BODY_LIMIT_BYTES, parameterLimit: 1_000 }), express.json({ limit: BODY_LIMIT_BYTES, strict: false })];
}

const DATABASE_BUSY = "系统繁忙，请稍后再试";

type BodyParserError = Error & { type?: string; status?: number };

/**
 * Body-parser failures as envelopes: too large → 413 + 5099; unparsable JSON or charset → 5099.
 * The database out of reach (PostgreSQL down, its connection lost, no connection to be had in time)
 * → 5099 "busy, try again": the call itself was fine. Anything else unexpected → 5099 with a
 * generic desc, logged in full under the request id.
 */
export function envelopeErrorHandler(log: () => Logger): ErrorRequestHandler {
  return (err: BodyParserError, req, res, next) => {
    if (res.headersSent) return next(err);
    const logger = (req as { log?: Logger }).log ?? log();
    if (err.type === "entity.too.large") {
      logger.info({ event: "http.body.too_large" }, "request body over the limit");
      return writeFailure(res, failure(ErrorCode.Other, `请求体超过 ${BODY_LIMIT_BYTES} 字节`), null, 413);
    }
    if (err.type === "entity.parse.failed") {
      return writeFailure(res, failure(ErrorCode.Other, "请求体不是合法的 JSON"), null);
    }
    if (err.type === "charset.unsupported" || err.type === "encoding.unsupported") {
      return writeFailure(res, failure(ErrorCode.Other, "请求体编码应为 UTF-8"), null);
    }
    if (typeof err.status === "number" && err.status >= 400 && err.status < 500) {
      return writeFailure(res, failure(ErrorCode.Other, "请求无法解析"), null);
    }
    if (err instanceof PgUnavailableError) {
      logger.warn({ event: "store.unavailable", reason: err.reason, code: err.code }, "database unavailable");
      return writeFailure(res, failure(ErrorCode.Other, DATABASE_BUSY), null);
    }
    logger.error({ err, event: "http.unhandled" }, "unhandled error");
    return writeFailure(res, failure(ErrorCode.Other, "服务器内部错误"), null);
  };
}

/** The fields of a parsed body: an object, or null when the body is a JSON array or scalar. */
export function bodyFields(body: unknown): Record<string, unknown> | null {
  if (body === undefined || body === null) return {};
  if (typeof body !== "object" || Array.isArray(body)) return null;
  return body as Record<string, unknown>;
}
