import express, { type Express } from "express";
import { ErrorCode, failure } from "./contract/index.js";
import type { Container } from "./container.js";
import { envelopeErrorHandler } from "./http/body-parsing.js";
import { writeFailure } from "./http/envelope-response.js";
import { requestContext } from "./http/request-context.js";
import { adminRouter } from "./admin/admin-router.js";
import { docsRouter } from "./mall/docs-router.js";
import { mallRouter } from "./mall/mall-router.js";
import { httpMetrics } from "./ops/http-metrics.js";
import { opsRouter } from "./ops/ops-router.js";
import { jwksRouter } from "./conformance/jwks-router.js";

/** The gateway's express app, without listen(): main.ts serves it, tests mount it on port 0. */
export function createApp(container: Container): Express {
  const app = express();
  app.disable("x-powered-by");
  app.disable("etag");
  // req.ip and req.secure (metrics access, the session cookie's Secure) read forwarded headers only from these peers.
  app.set("trust proxy", container.config.TRUST_PROXY);
  container.metrics.collectProcessMetrics();
  app.use(httpMetrics(container.metrics));
  app.use(requestContext(container.logger));
  // The mall's literal paths first: a router that matches nothing hands over with setImmediate, an
  // event-loop turn that every signed call would otherwise wait through.
  app.use(mallRouter(container.mall));
  app.use(
    opsRouter({
      metrics: container.metrics,
      ops: container.repos.ops,
      runtime: container.runtime,
      metricsToken: container.config.METRICS_TOKEN,
      logger: container.logger,
    }),
  );
  app.use(docsRouter());
  app.use(jwksRouter(container.conformance));
  app.use("/admin", adminRouter(container));
  // §1: every enveloped answer is HTTP 200 but 405 and 413, so an unknown docking path is too.
  app.use((req, res) => writeFailure(res, failure(ErrorCode.Other, `接口不存在: ${req.method} ${req.path}`), null));
  app.use(envelopeErrorHandler(() => container.logger));
  return app;
}
