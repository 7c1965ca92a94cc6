import { type ChildProcess, fork } from "node:child_process";
import { type AddressInfo, type Server, type Socket, connect, createServer } from "node:net";
import { join } from "node:path";

/**
 * A TCP proxy that holds every chunk for a fixed time in each direction, so a database on this host
 * answers as one across a network would: `oneWayMs` 1 is a round trip of at least 2 ms. It listens
 * on 127.0.0.1 on a free port and forwards to a unix socket (a throwaway cluster's, tests/helpers/
 * pg-cluster.ts, which has no TCP port) or to host:port. Chunks leave in the order they came.
 */
export type DelayTarget = { readonly path: string } | { readonly host: string; readonly port: number };

export type DelayProxy = {
  readonly port: number;
  /** Stops listening and cuts every open connection. */
  close(): Promise<void>;
};

/**
 * Below this much left to wait, a chunk waits on setImmediate instead of a timer: timers have whole
 * milliseconds and may fire a fraction early against the clock, and a 1 ms delay must not become 2.
 */
const SPIN_BELOW_MS = 1;

/** Writes what `from` sends to `to`, each chunk `delayMs` after it arrived; ends `to` after the last one. */
function delayedPipe(from: Socket, to: Socket, delayMs: number): void {
  /** A chunk to write, "end" for the sender's FIN, "cut" for a connection gone without one. */
  const queue: Array<{ due: number; chunk: Buffer | "end" | "cut" }> = [];
  let waiting = false;
  const flush = () => {
    waiting = false;
    const now = performance.now();
    while (queue.length > 0 && (queue[0]?.due ?? 0) <= now) {
      const { chunk } = queue.shift() ?? { chunk: "cut" };
      if (chunk === "end") to.end();
      else if (chunk === "cut") to.destroy();
      else if (!to.destroyed) to.write(chunk);
    }
    schedule();
  };
  const schedule = () => {
    const head = queue[0];
    if (waiting || !head) return;
    waiting = true;
    const left = head.due - performance.now();
    if (left < SPIN_BELOW_MS) setImmediate(flush);
    else setTimeout(flush, Math.floor(left));
  };
  const send = (chunk: Buffer | "end" | "cut") => {
    queue.push({ due: performance.now() + delayMs, chunk });
    schedule();
  };
  let ended = false;
  from.on("data", (chunk: Buffer) => send(chunk));
  // The end travels as late as the data before it, so a closing handshake keeps its order; so does
  // a connection's loss (a reset, a server gone), so the other side sees it where it happened.
  from.on("end", () => {
    ended = true;
    send("end");
  });
  from.on("close", () => {
    if (!ended) send("cut");
  });
}

export function startDelayProxy(options: { target: DelayTarget; oneWayMs: number }): Promise<DelayProxy> {
  const sockets = new Set<Socket>();
  // Half-open both ways: a client's FIN reaches the server only after the data before it, and the
  // answer still flows back until the server ends too.
  const server: Server = createServer({ allowHalfOpen: true }, (client) => {
    const upstream = connect({ ...options.target, allowHalfOpen: true });
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
    }
    // An error closes the socket, and its close reaches the other side through delayedPipe.
    client.on("error", () => undefined);
    upstream.on("error", () => undefined);
    delayedPipe(client, upstream, options.oneWayMs);
    delayedPipe(upstream, client, options.oneWayMs);
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      resolve({
        port: (server.address() as AddressInfo).port,
        close: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}

/**
 * The proxy in a process of its own (tests/helpers/delay-proxy-process.ts). A benchmark's load
 * generator keeps its own thread busy, and the PostgreSQL bridge blocks the thread that waits on it:
 * in either, the proxy's timers would wait too, or never run.
 */
export type DelayProxyProcess = { readonly port: number; readonly child: ChildProcess; close(): Promise<void> };

export function startDelayProxyProcess(options: { target: DelayTarget; oneWayMs: number }): Promise<DelayProxyProcess> {
  const child = fork(join(import.meta.dirname, "delay-proxy-process.ts"), [JSON.stringify(options)], {
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  return new Promise((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`delay proxy process exited ${code}`)));
    child.once("message", (message: { port: number }) => {
      resolve({
        port: message.port,
        child,
        close: () =>
          new Promise<void>((done) => {
            if (child.exitCode !== null) return done();
            child.once("exit", () => done());
            child.kill("SIGTERM");
          }),
      });
    });
  });
}

/** The PostgreSQL URL of `database` reached through a proxy on `port` (trust auth: no password). */
export function proxiedDatabaseUrl(port: number, database: string, user = "postgres"): string {
  return `postgres://${user}@127.0.0.1:${port}/${database}`;
}
