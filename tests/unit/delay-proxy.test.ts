import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { type AddressInfo, type Server, type Socket, connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DelayTarget, startDelayProxy, startDelayProxyProcess } from "../helpers/delay-proxy.js";

/** An echo server: whatever a client sends comes back, and its end ends the answer. */
function echoServer(): Server {
  return createServer((socket) => {
    socket.on("error", () => socket.destroy());
    socket.pipe(socket);
  });
}

const listen = (server: Server, where: { path: string } | { port: 0; host: string }) => new Promise<void>((resolve) => server.listen(where, () => resolve()));

/** Sends `payload` in pieces of uneven size, ends, and answers everything that came back. */
function echoThrough(port: number, payload: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect(port, "127.0.0.1");
    const received: Buffer[] = [];
    socket.on("data", (c: Buffer) => received.push(c));
    socket.on("end", () => resolve(Buffer.concat(received)));
    socket.on("error", reject);
    let at = 0;
    for (let size = 1; at < payload.length; size = (size * 7 + 13) % 65_536) {
      socket.write(payload.subarray(at, at + size));
      at += size;
    }
    socket.end();
  });
}

/** One round trip's time: a byte out and its echo back, on an open connection. */
async function roundTripMs(port: number): Promise<number[]> {
  const socket = connect(port, "127.0.0.1");
  socket.setNoDelay(true);
  await new Promise((r) => socket.once("connect", r));
  const times: number[] = [];
  for (let i = 0; i < 20; i++) {
    const t0 = performance.now();
    const echoed = new Promise((r) => socket.once("data", r));
    socket.write(Buffer.from([i]));
    await echoed;
    times.push(performance.now() - t0);
  }
  socket.destroy();
  return times;
}

describe("delay proxy", () => {
  const dir = mkdtempSync(join(tmpdir(), "emall-delay-proxy-"));
  const onSocket = echoServer();
  const onTcp = echoServer();
  const targets: Record<string, DelayTarget> = {};

  beforeAll(async () => {
    const path = join(dir, "echo.sock");
    await listen(onSocket, { path });
    await listen(onTcp, { port: 0, host: "127.0.0.1" });
    targets["a unix socket"] = { path };
    targets["host:port"] = { host: "127.0.0.1", port: (onTcp.address() as AddressInfo).port };
  });
  afterAll(async () => {
    await Promise.all([onSocket, onTcp].map((s) => new Promise((r) => s.close(r))));
    rmSync(dir, { recursive: true, force: true });
  });

  for (const name of ["a unix socket", "host:port"]) {
    it(`to ${name}: every round trip takes at least the configured RTT`, async () => {
      const target = targets[name];
      if (!target) throw new Error(`no target ${name}`);
      for (const oneWayMs of [1, 5]) {
        const proxy = await startDelayProxy({ target, oneWayMs });
        try {
          const times = await roundTripMs(proxy.port);
          expect(Math.min(...times)).toBeGreaterThanOrEqual(2 * oneWayMs);
          // Not much more either: the delay is the configured one, not a timer's whole extra tick each way.
          const sorted = [...times].sort((a, b) => a - b);
          expect(sorted[Math.floor(sorted.length / 2)]).toBeLessThan(2 * oneWayMs + 5);
        } finally {
          await proxy.close();
        }
      }
    });

    it(`to ${name}: bytes arrive intact and in order, and the end comes after them`, async () => {
      const target = targets[name];
      if (!target) throw new Error(`no target ${name}`);
      const proxy = await startDelayProxy({ target, oneWayMs: 1 });
      try {
        const payload = randomBytes(2 * 1024 * 1024);
        const echoed = await echoThrough(proxy.port, payload);
        expect(echoed.length).toBe(payload.length);
        expect(echoed.equals(payload)).toBe(true);
      } finally {
        await proxy.close();
      }
    });
  }

  it("runs in a process of its own, with the same delay", async () => {
    const proxy = await startDelayProxyProcess({ target: { path: join(dir, "echo.sock") }, oneWayMs: 2 });
    try {
      const times = await roundTripMs(proxy.port);
      expect(Math.min(...times)).toBeGreaterThanOrEqual(4);
      const payload = randomBytes(256 * 1024);
      expect((await echoThrough(proxy.port, payload)).equals(payload)).toBe(true);
    } finally {
      await proxy.close();
    }
  });
});
