import express, { type NextFunction, type Request, type Response } from "express";
import {
  ErrorCode,
  type Failure,
  SIGN_HEADER,
  SIGN_TIMESTAMP_HEADER,
  SignMode,
  type SupplierOperationName,
  applyAliases,
  failure,
  formatBeijingTimestamp,
  parseFields,
  presentFields,
  serializeFailure,
  serializeSuccess,
  signResponse,
  supplierOperations,
} from "../contract/index.js";
import type { Logger } from "../lib/logger.js";
import { newId } from "../lib/ids.js";
import type { Outcome } from "./outcome.js";
import { skuListLimit, tokenFailure } from "./conformance-defects.js";
import { type BusinessOperationName, type RouteHandler, businessRoutes } from "./routes/index.js";
import { simulatorAdminRouter } from "./simulator-admin.js";
import type { FaultKind } from "./simulator-knobs.js";
import type { SupplierSimulator } from "./supplier-simulator.js";

const BODY_LIMIT = "1mb"; // §1: 1 MiB request body
const JSON_CONTENT_TYPE = "application/json;charset=UTF-8";

/**
 * The reference supplier's HTTP face: S-1…S-12 per the contract, plus `/_sim` for inspection and
 * knobs. No listen() here; simulator-server.ts and tests mount it.
 */
export function createSimulatorApp(sim: SupplierSimulator, logger: Logger): express.Express {
  const app = express();
  app.disable("x-powered-by");
  app.disable("etag");
  app.use("/_sim", simulatorAdminRouter(sim));

  const send = responder(sim);
  // From arrival to the answer's last byte (or a cut connection): the caller's call in flight.
  const inFlight = (_req: Request, res: Response, next: NextFunction) => {
    sim.knobs.callArrived();
    res.once("close", () => sim.knobs.callLeft());
    next();
  };
  const parsers = [express.urlencoded({ extended: false, limit: BODY_LIMIT }), express.json({ limit: BODY_LIMIT })];
  for (const name of Object.keys(supplierOperations) as SupplierOperationName[]) {
    const path = supplierOperations[name].path;
    app.all(path, inFlight, onlyPost(send), ...parsers, (req, res) => {
      void handleCall(name, req, res, sim, send, logger);
    });
  }
  // §1: every enveloped answer is HTTP 200 but 405 and 413, an unknown path's too.
  app.use((_req: Request, res: Response) => {
    send(res, 200, serializeFailure({ code: ErrorCode.Other, desc: "接口不存在" }));
  });
  // Body-parser failures: oversized → 413, unreadable → 5099; never a stack trace (§1).
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const type = typeof err === "object" && err !== null && "type" in err ? String(err.type) : "";
    if (type === "entity.too.large") return send(res, 413, serializeFailure(failure(ErrorCode.Other, "请求体超过1MiB")));
    if (type !== "entity.parse.failed") logger.warn({ err }, "sim.body.unreadable");
    send(res, 200, serializeFailure(failure(ErrorCode.Other, "请求体无法解析")));
  });
  return app;
}

type Send = (res: Response, status: number, body: string, fault?: FaultKind | null, unsigned?: boolean) => void;
type Answered = { outcome: Outcome<unknown>; unsigned: boolean };

/** Writes an enveloped answer, signed per §2.3 in hmac mode (unless a knob strips it from a refusal). */
function responder(sim: SupplierSimulator): Send {
  return (res, status, body, fault, unsigned = false) => {
    let bytes = Buffer.from(body, "utf8");
    if (fault === "malformed-json") bytes = bytes.subarray(0, Math.max(1, Math.floor(bytes.length / 2)));
    res.status(status);
    res.setHeader("Content-Type", JSON_CONTENT_TYPE);
    if (sim.signMode === SignMode.HmacSha256 && !unsigned && !sim.knobs.hasDefect("unsigned-answers")) {
      const timestamp = formatBeijingTimestamp(sim.now());
      const sign = signResponse(sim.auth.account.appSecret, timestamp, bytes);
      res.setHeader(SIGN_TIMESTAMP_HEADER, timestamp);
      res.setHeader(SIGN_HEADER, fault === "bad-signature" ? corrupt(sign) : sign);
    }
    res.end(bytes);
  };
}

function onlyPost(send: Send) {
  return (req: Request, res: Response, next: NextFunction) => {
    if (req.method === "POST") return next();
    res.setHeader("Allow", "POST");
    send(res, 405, serializeFailure(failure(ErrorCode.Other, `不支持 ${req.method}，请使用 POST`)));
  };
}

async function handleCall(name: SupplierOperationName, req: Request, res: Response, sim: SupplierSimulator, send: Send, logger: Logger): Promise<void> {
  // The call's own logger only when something is logged: a child per call costs more than the answer.
  const log = () => logger.child({ requestId: newId("req"), endpoint: name });
  const started = performance.now();
  const latency = sim.knobs.latencyMs(name);
  if (latency > 0) await sleep(latency);
  if (!sim.knobs.admit(name, sim.now())) {
    send(res, 200, serializeFailure({ code: ErrorCode.Other, desc: "请求过于频繁，请稍后重试" }));
    return;
  }
  const fault = sim.knobs.drawFault(name);
  if (fault === "http-5xx") {
    res.status(502).type("text/html").end("<html><head><title>502 Bad Gateway</title></head><body>502 Bad Gateway</body></html>");
    return;
  }
  if (fault === "timeout") return hold(req, res, sim.knobs.timeoutHoldMs);
  if (fault === "token-expiry") sim.auth.revokeAllTokens();

  let answered: Answered;
  try {
    answered = answer(name, req.body, sim);
  } catch (err) {
    log().error({ err }, "sim.call.crashed");
    answered = { outcome: { ok: false, failure: failure(ErrorCode.Other, "系统繁忙") }, unsigned: false };
  }
  const { outcome } = answered;
  if (fault === "drop-after-work") {
    // The work is done and stays done; the caller never learns it.
    req.socket.destroy();
    return;
  }
  const body = outcome.ok ? serializeSuccess(outcome.value) : serializeFailure(outcome.failure);
  const unsigned = answered.unsigned || (!outcome.ok && (sim.knobs.unsignedRefusals || ("unsigned" in outcome.failure && outcome.failure.unsigned === true)));
  send(res, 200, body, fault, unsigned);
  if (logger.isLevelEnabled("debug"))
    log().debug({ code: outcome.ok ? 0 : outcome.failure.code, fault, durationMs: Math.round(performance.now() - started) }, "sim.call");
}

/** §2.1/§2.2 checks, then platformCode (5013), then the call's own validation and handler. */
function answer(name: SupplierOperationName, body: unknown, sim: SupplierSimulator): Answered {
  const signed = (outcome: Outcome<unknown>): Answered => ({ outcome, unsigned: false });
  if (body !== undefined && (typeof body !== "object" || body === null || Array.isArray(body))) {
    return signed(refuse(failure(ErrorCode.Other, "请求体应为表单或 JSON 对象")));
  }
  const fields = (body ?? {}) as Record<string, unknown>;
  if (name === "token") return signed(sim.auth.issueToken(fields));
  const verified = sim.auth.verifyCall(fields);
  if (!verified.ok) return signed({ ok: false, failure: tokenFailure(sim.knobs, verified.failure) });
  const op = supplierOperations[name];
  const input = skuListLimit(sim.knobs, applyAliases(presentFields(verified.value), op.aliases));
  const platformCode = input.platformCode;
  if (platformCode !== undefined && String(platformCode) !== sim.platformCode) {
    return signed(refuse(failure(ErrorCode.PlatformCodeInvalid, String(platformCode).slice(0, 40))));
  }
  const parsed = parseFields(op.request, input);
  if (!parsed.ok) return signed(parsed);
  // A canned refusal (knob) answers an authenticated, valid call before any work is done.
  const canned = sim.knobs.takeRefusal(name);
  if (canned) return signed(refuse(canned));
  const parsedInput = parsed.value as Record<string, unknown>;
  const hostile = sim.hostile.before(name, parsedInput);
  if (hostile) return hostile;
  return signed(sim.hostile.after(name, parsedInput, runHandler(name, parsed.value, sim)));
}

function runHandler<K extends BusinessOperationName>(name: K, input: unknown, sim: SupplierSimulator): Outcome<unknown> {
  // parseFields has checked `input` against this operation's request schema.
  const handler = businessRoutes[name] as RouteHandler<K>;
  return handler(input as Parameters<RouteHandler<K>>[0], sim);
}

function hold(req: Request, res: Response, holdMs: number): void {
  const timer = setTimeout(() => res.socket?.destroy(), holdMs);
  timer.unref();
  req.socket.once("close", () => clearTimeout(timer));
}

const refuse = (f: Failure): Outcome<never> => ({ ok: false, failure: f });
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function corrupt(sign: string): string {
  const last = sign.at(-1) === "0" ? "1" : "0";
  return sign.slice(0, -1) + last;
}
