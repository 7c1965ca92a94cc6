import { Router } from "express";
import type { Container } from "../container.js";
import { adminApiRouter } from "./api/api-router.js";
import { adminApiServices } from "./api/route-services.js";
import { consoleRouter } from "./console/console-router.js";

/** Everything under /admin: the JSON API at /admin/api and the server-rendered console beside it. */
export function adminRouter(container: Container): Router {
  const router = Router();
  const api = adminApiServices(container);
  router.use("/api", adminApiRouter(api));
  router.use(consoleRouter(api));
  return router;
}
