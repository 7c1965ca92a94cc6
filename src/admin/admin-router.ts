import { Router } from "express";
import type { Container } from "../container.js";
import { adminApiRouter } from "./api/api-router.js";
import { consoleRouter } from "./console/console-router.js";

/** Everything under /admin: the JSON API at /admin/api and the server-rendered console beside it. */
export function adminRouter(container: Container): Router {
  const router = Router();
  router.use("/api", adminApiRouter(container));
  router.use(consoleRouter(container));
  return router;
}
