import { type ClientRequest, Agent as HttpAgent, type IncomingMessage, request as httpRequest } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import type { RawResponse } from "./response-reader.js";

export type HttpPost = { url: string; body: string; contentType: string; timeoutMs: number };
export type TransportFailure = { kind: "timeout" | "network"; message: string };
export type TransportResult = { ok: true; response: RawResponse } | { ok: false; failure: TransportFailure };

/** The one way the supplier client reaches the network; tests may pass their own. */
export type Transport = {
  post(request: HttpPost): Promise<TransportResult>;
  close(): void;
};

/** Answers larger than this are cut off as network failures; a sku batch is a few hundred KiB. */
const MAX_RESPONSE_BYTES = 32 * 1024 * 1024;

type Target = { https: boolean; hostname: string; port: string; path: string };

/**
 * node:http with keep-alive agents, raw bytes out (the response signature covers the exact body,
 * §2.3), every status returned as a value, no redirects, no proxy and no retries: those are decided
 * per endpoint by the client. Plain node:http rather than a client library: at thousands of calls a
 * second the library's per-request config merging and listeners cost more than the exchange.
 */
export function createHttpTransport(options: { maxSockets: number }): Transport {
  const httpAgent = new HttpAgent({ keepAlive: true, maxSockets: options.maxSockets });
  const httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets: options.maxSockets });
  // A client calls a handful of endpoint URLs over and over: each is parsed once.
  const targets = new Map<string, Target>();
  const targetOf = (url: string): Target => {
    let target = targets.get(url);
    if (!target) {
      const u = new URL(url);
      if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error(`unsupported protocol ${u.protocol}`);
      target = { https: u.protocol === "https:", hostname: u.hostname.replace(/^\[|\]$/g, ""), port: u.port, path: `${u.pathname}${u.search}` };
      if (targets.size < 64) targets.set(url, target);
    }
    return target;
  };
  return {
    post(request) {
      return new Promise<TransportResult>((resolve) => {
        let settled = false;
        let req: ClientRequest | null = null;
        const finish = (result: TransportResult) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve(result);
        };
        const fail = (err: unknown) => finish({ ok: false, failure: networkFailure(err) });
        // Bounds the whole exchange (connect, send, the full answer), not only socket idleness.
        const timer = setTimeout(() => {
          finish({ ok: false, failure: { kind: "timeout", message: `no answer within ${request.timeoutMs} ms` } });
          req?.destroy();
        }, request.timeoutMs);
        try {
          const target = targetOf(request.url);
          const body = Buffer.from(request.body, "utf8");
          req = (target.https ? httpsRequest : httpRequest)({
            method: "POST",
            hostname: target.hostname,
            port: target.port || undefined,
            path: target.path,
            agent: target.https ? httpsAgent : httpAgent,
            headers: { "Content-Type": request.contentType, Accept: "application/json", "Content-Length": body.length },
          });
          req.on("error", fail);
          req.on("response", (res: IncomingMessage) => readBody(res, finish, () => req?.destroy()));
          req.end(body);
        } catch (err) {
          fail(err);
        }
      });
    },
    close() {
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}

function readBody(res: IncomingMessage, finish: (r: TransportResult) => void, abort: () => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  res.on("data", (chunk: Buffer) => {
    size += chunk.length;
    if (size > MAX_RESPONSE_BYTES) {
      finish({ ok: false, failure: { kind: "network", message: `answer larger than ${MAX_RESPONSE_BYTES} bytes` } });
      abort();
      return;
    }
    chunks.push(chunk);
  });
  res.on("error", (err) => finish({ ok: false, failure: networkFailure(err) }));
  res.on("aborted", () => finish({ ok: false, failure: { kind: "network", message: "answer cut off" } }));
  res.on("end", () => {
    if (!res.complete) return finish({ ok: false, failure: { kind: "network", message: "answer cut off" } });
    const headers: Record<string, string | undefined> = {};
    for (const [name, value] of Object.entries(res.headers)) {
      if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : value;
    }
    finish({ ok: true, response: { status: res.statusCode ?? 0, headers, body: chunks.length === 1 && chunks[0] ? chunks[0] : Buffer.concat(chunks) } });
  });
}

function networkFailure(err: unknown): TransportFailure {
  const code = typeof err === "object" && err !== null && "code" in err ? String((err as { code: unknown }).code) : undefined;
  const message = err instanceof Error ? err.message : String(err);
  if (code === "ETIMEDOUT") return { kind: "timeout", message };
  return { kind: "network", message: code ? `${code}: ${message}` : message };
}
