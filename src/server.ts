import { readFileSync } from "node:fs";
import { createServer as createHttpServer, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import type { Express } from "express";
import type { Config } from "./config/config.js";
import { expressServerClasses } from "./http/express-classes.js";

const LOOPBACK = new Set(["127.0.0.1", "::1", "localhost"]);

export class ServerConfigError extends Error {
  override readonly name = "ServerConfigError";
}

/** HTTPS only when TLS_CERT/TLS_KEY are set (TLS 1.2 minimum, §8.1.1); plain HTTP only on loopback or when allowed. */
export function createServer(app: Express, config: Config): Server {
  if (config.TLS_CERT && config.TLS_KEY) {
    return createHttpsServer(
      { cert: readFileSync(config.TLS_CERT), key: readFileSync(config.TLS_KEY), minVersion: "TLSv1.2", ...expressServerClasses(app) },
      app,
    );
  }
  if (!LOOPBACK.has(config.HOST) && !config.ALLOW_PLAIN_HTTP) {
    throw new ServerConfigError(
      `HOST=${config.HOST} is not loopback: set TLS_CERT and TLS_KEY (npm run dev-cert makes a local pair), or ALLOW_PLAIN_HTTP=true`,
    );
  }
  return createHttpServer(expressServerClasses(app), app);
}

export function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve(server.address() as AddressInfo);
    });
  });
}
