import type { AddressInfo } from "node:net";
import { type Server, createServer } from "node:http";
import { expressServerClasses } from "../http/express-classes.js";
import { type Logger, silentLogger } from "../lib/logger.js";
import { createSimulatorApp } from "./simulator-app.js";
import { type SimulatorOptions, SupplierSimulator } from "./supplier-simulator.js";

export type RunningSimulator = {
  url: string;
  port: number;
  sim: SupplierSimulator;
  /** The HTTP server, for a test to watch requests as they arrive and end. */
  server: Server;
  close(): Promise<void>;
};

/** Starts the reference supplier on `port` (0: an ephemeral port, for tests). */
export async function startSimulator(options: SimulatorOptions, listen: { port?: number; host?: string; logger?: Logger } = {}): Promise<RunningSimulator> {
  const sim = new SupplierSimulator(options);
  const app = createSimulatorApp(sim, listen.logger ?? silentLogger());
  // As the gateway's server: requests built with the app's prototypes, so express's per-request
  // prototype change is a no-op (the reference supplier's own cost counts in every drain it serves).
  const server: Server = createServer(expressServerClasses(app), app);
  const host = listen.host ?? "127.0.0.1";
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(listen.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    port,
    sim,
    server,
    close: async () => {
      sim.stop();
      // Held (timeout-fault) and keep-alive connections would otherwise keep close() waiting.
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
