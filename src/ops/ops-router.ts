import { timingSafeEqual } from "node:crypto";
import { Router, type Request } from "express";
import type { Logger } from "../lib/logger.js";
import type { OpsRepo } from "../store/repos/ops-repo.js";
import type { GatewayMetrics } from "./gateway-metrics.js";
import type { RuntimeState } from "./runtime-state.js";

export type OpsRouterDeps = {
  metrics: GatewayMetrics;
  ops: OpsRepo;
  runtime: RuntimeState;
  /** With a token, /metrics wants `Authorization: Bearer <token>`; without one, loopback callers only. */
  metricsToken: string | undefined;
  logger: Logger;
};

const LOOPBACK_ADDRESSES = new Set(["127.0.0.1", "::1", "::ffff:127.0.0.1"]);

function bearerMatches(req: Request, token: string): boolean {
  const header = req.get("authorization") ?? "";
  const match = /^Bearer (.+)$/.exec(header);
  if (!match?.[1]) return false;
  const sent = Buffer.from(match[1]);
  const expected = Buffer.from(token);
  return sent.length === expected.length && timingSafeEqual(sent, expected);
}

/** /healthz (the process answers), /readyz (it can do its work) and /metrics: outside the docking paths. */
export function opsRouter(deps: OpsRouterDeps): Router {
  const router = Router({ caseSensitive: true, strict: true });

  router.get("/healthz", (_req, res) => {
    res.setHeader("Cache-Control", "no-store");
    res.json({ status: "ok" });
  });

  router.get("/readyz", async (_req, res) => {
    res.setHeader("Cache-Control", "no-store");
    const checks: Record<string, { ok: boolean; detail: string }> = {};
    try {
      // Read on the asynchronous store: a database that is away fails it in its own words, without
      // holding the event loop.
      const m = await deps.ops.migrations();
      checks.database = { ok: true, detail: "reachable" };
      checks.migrations = { ok: m.current, detail: m.current ? `current (${m.latest ?? "none"})` : `${m.applied} applied, this build ships ${m.expected}` };
    } catch (e) {
      checks.database = { ok: false, detail: e instanceof Error ? e.message : String(e) };
      checks.migrations = { ok: false, detail: "database not reachable" };
    }
    const { scheduler, stopping } = deps.runtime;
    checks.scheduler = { ok: scheduler !== "stopped", detail: scheduler };
    checks.accepting = { ok: !stopping, detail: stopping ? "shutting down" : "taking work" };
    const ready = Object.values(checks).every((c) => c.ok);
    res.status(ready ? 200 : 503).json({ status: ready ? "ready" : "not_ready", checks });
  });

  router.get("/metrics", async (req, res) => {
    res.setHeader("Cache-Control", "no-store");
    // Without a token, loopback clients only: req.ip, not the socket's peer, since behind a proxy on
    // the same host (TRUST_PROXY) every peer is loopback.
    if (deps.metricsToken !== undefined) {
      if (!bearerMatches(req, deps.metricsToken)) {
        res.setHeader("WWW-Authenticate", 'Bearer realm="metrics"');
        res.status(401).type("text/plain").send("metrics need Authorization: Bearer <METRICS_TOKEN>\n");
        return;
      }
    } else if (!LOOPBACK_ADDRESSES.has(req.ip ?? "")) {
      res.status(403).type("text/plain").send("metrics answer loopback callers only; set METRICS_TOKEN to scrape from elsewhere\n");
      return;
    }
    try {
      const body = await deps.metrics.registry.metrics();
      res.setHeader("Content-Type", deps.metrics.registry.contentType);
      res.send(body);
    } catch (e) {
      deps.logger.error({ event: "metrics.scrape.failed", err: e }, "metrics scrape failed");
      res.status(503).type("text/plain").send("metrics unavailable\n");
    }
  });

  return router;
}
