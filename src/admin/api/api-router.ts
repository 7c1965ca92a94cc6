import express, { type ErrorRequestHandler, type Request, type RequestHandler, type Response, Router } from "express";
import { AdminError } from "../admin-errors.js";
import type { ActiveSession } from "../admin-sessions.js";
import { CSRF_HEADER, checkCsrf, currentSession, isStateChanging, requestFailure, setSessionCookie } from "../admin-http.js";
import { sendCsv } from "./csv.js";
import type { AdminApiServices } from "./route-services.js";
import { type AdminRouteServices, adminRoutes } from "./route-table.js";
import { runRoute, toAdminError } from "./route-runner.js";
import type { AdminRoute } from "./route-types.js";

/** Admin JSON bodies are small forms; orders carry at most 100 lines. */
const BODY_LIMIT = "256kb";

function sendError(req: Request, res: Response, e: unknown): void {
  const known = toAdminError(e);
  if (!known) req.log.error({ event: "admin.error", err: e }, "admin.error");
  else req.log.info({ event: "admin.refused", code: known.code, status: known.status }, "admin.refused");
  const err = known ?? new AdminError("internal", "internal error; quote the request id to the operators");
  res.status(err.status).json({ error: { code: err.code, message: err.message, requestId: req.id, ...(err.fields.length > 0 ? { fields: err.fields } : {}) } });
}

const jsonBody = express.json({ limit: BODY_LIMIT });

/**
 * Who calls, and whether the request may be read at all: the session, the content type and the
 * CSRF token are checked before a byte of the body is parsed, so an anonymous caller learns
 * nothing from how its body is judged.
 */
function gate(route: AdminRoute, sessions: AdminApiServices["sessions"]): RequestHandler {
  return async (req, res, next) => {
    try {
      const caller = await currentSession(req, sessions);
      if (route.roles !== "public" && !caller) throw new AdminError("unauthenticated", "log in first (POST /admin/api/login)");
      if (isStateChanging(req.method)) {
        const length = Number(req.get("Content-Length") ?? "0");
        if ((length > 0 || req.get("Transfer-Encoding")) && !req.is("application/json")) {
          throw new AdminError("unsupported_media_type", `send application/json, not ${req.get("Content-Type") ?? "no content type"}`);
        }
        checkCsrf(req, route.roles === "public" ? undefined : caller, req.get(CSRF_HEADER));
      }
      res.locals.caller = caller;
      next();
    } catch (e) {
      sendError(req, res, e);
    }
  };
}

function mount(router: Router, route: AdminRoute<AdminRouteServices>, api: AdminApiServices): void {
  const method = route.method.toLowerCase() as "get" | "post" | "put" | "patch";
  router[method](route.path, gate(route, api.sessions), jsonBody, async (req, res) => {
    try {
      const caller = res.locals.caller as ActiveSession | undefined;
      const result = await runRoute(route, { params: req.params, query: req.query, body: req.body }, caller, { api, requestId: req.id, log: req.log });
      if (result.session !== undefined) setSessionCookie(res, result.session);
      if (result.csv) return await sendCsv(res, result.csv);
      if (result.download) {
        res
          .status(result.status ?? 200)
          .type(result.download.contentType)
          .setHeader("Content-Disposition", `attachment; filename="${result.download.filename}"`);
        res.send(result.download.body);
        return;
      }
      res.status(result.status ?? 200).json(result.body);
    } catch (e) {
      if (res.headersSent) {
        req.log.error({ event: "admin.download_failed", err: e }, "admin.download_failed");
        res.destroy();
        return;
      }
      sendError(req, res, e);
    }
  });
}

/**
 * Failures before a handler runs, in the API's own shape: the body parser's, and express's own
 * (a path parameter that is not valid percent-encoding). Never left to fall through to the
 * docking envelope of the mall's paths.
 */
const requestError: ErrorRequestHandler = (err: { type?: string; status?: number }, req, res, _next) => {
  sendError(req, res, requestFailure(err, BODY_LIMIT) ?? err);
};

/** /admin/api: JSON, honest statuses, one error shape {error:{code,message,requestId,fields?}}. */
export function adminApiRouter(api: AdminApiServices): Router {
  const router = Router();
  router.use((_req, res, next) => {
    res.setHeader("Cache-Control", "no-store");
    next();
  });
  for (const route of adminRoutes) mount(router, route, api);
  router.use((req, res) => sendError(req, res, new AdminError("not_found", `no admin API route ${req.method} ${req.baseUrl}${req.path}`)));
  router.use(requestError);
  return router;
}
