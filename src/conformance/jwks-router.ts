import { Router } from "express";
import type { ConformanceService } from "./conformance-service.js";

/** Public keys of the trust marks and reports (RFC 7517), for anyone's offline checks. */
export function jwksRouter(conformance: ConformanceService): Router {
  const router = Router();
  router.get("/.well-known/jwks.json", (_req, res) => {
    res.setHeader("Cache-Control", "public, max-age=300");
    res.type("application/jwk-set+json").send(JSON.stringify(conformance.jwks()));
  });
  return router;
}
