import { Router } from "express";
import type { ConformanceService } from "./conformance-service.js";

/** Public keys of the trust marks and reports (RFC 7517), for anyone's offline checks. */
export function jwksRouter(conformance: ConformanceService): Router {
  const router = Router();
  router.get("/.well-known/jwks.json", async (_req, res) => {
    const jwks = await conformance.jwks();
    res.setHeader("Cache-Control", "public, max-age=300");
    res.type("application/jwk-set+json").send(JSON.stringify(jwks));
  });
  return router;
}
