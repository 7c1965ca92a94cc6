import type { Request, RequestHandler, Response } from "express";
import { mallOperations } from "../contract/index.js";
import type { GatewayMetrics } from "./gateway-metrics.js";

/** Paths that are their own route label; anything unknown is one label, so scanners cannot add series. */
const FIXED_ROUTES = new Set<string>([...Object.values(mallOperations).map((op) => op.path), "/healthz", "/readyz", "/metrics", "/docs", "/docs/openapi.json"]);
const UNMATCHED = "unmatched";

const startedAt = Symbol("emall.startedAt");
type Timed = Response & { [startedAt]?: number };

function routeOf(req: Request): string {
  if (FIXED_ROUTES.has(req.path)) return req.path;
  const url = req.originalUrl;
  if (url.startsWith("/admin/api/")) return typeof req.route?.path === "string" ? `/admin/api${req.route.path}` : "/admin/api";
  if (url.startsWith("/admin")) return typeof req.route?.path === "string" ? `/admin${req.route.path}` : "/admin";
  return UNMATCHED;
}

/**
 * Requests by route and status, and their latency. No closure per request: the finish listener is
 * one shared function reading the start time stamped on the response.
 */
export function httpMetrics(metrics: GatewayMetrics): RequestHandler {
  function finished(this: Timed): void {
    const started = this[startedAt] ?? 0;
    metrics.httpAnswered(routeOf(this.req), this.statusCode, (performance.now() - started) / 1000);
  }
  return (_req, res, next) => {
    (res as Timed)[startedAt] = performance.now();
    res.on("finish", finished);
    next();
  };
}
