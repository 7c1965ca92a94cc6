import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import axios, { type AxiosInstance } from "axios";
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

/**
 * axios with keep-alive agents, raw bytes out (the response signature covers the exact body,
 * §2.3), every status returned as a value, no redirects and no retries: those are decided per
 * endpoint by the client.
 */
export function createHttpTransport(options: { maxSockets: number }): Transport {
  const httpAgent = new HttpAgent({ keepAlive: true, maxSockets: options.maxSockets });
  const httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets: options.maxSockets });
  const http: AxiosInstance = axios.create({
    httpAgent,
    httpsAgent,
    proxy: false,
    maxRedirects: 0,
    responseType: "arraybuffer",
    transformResponse: [(data: unknown) => data],
    validateStatus: () => true,
    maxContentLength: MAX_RESPONSE_BYTES,
  });
  return {
    async post(request) {
      // axios' own timeout covers the connection; the signal bounds the whole exchange.
      const signal = AbortSignal.timeout(request.timeoutMs);
      try {
        const res = await http.post<ArrayBuffer>(request.url, request.body, {
          headers: { "Content-Type": request.contentType, Accept: "application/json" },
          timeout: request.timeoutMs,
          signal,
        });
        const headers: Record<string, string | undefined> = {};
        for (const [name, value] of Object.entries(res.headers)) {
          if (value !== undefined && value !== null) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : String(value);
        }
        return { ok: true, response: { status: res.status, headers, body: Buffer.from(res.data) } };
      } catch (err) {
        return { ok: false, failure: classify(err, signal.aborted, request.timeoutMs) };
      }
    },
    close() {
      httpAgent.destroy();
      httpsAgent.destroy();
    },
  };
}

function classify(err: unknown, timedOut: boolean, timeoutMs: number): TransportFailure {
  const code = axios.isAxiosError(err) ? err.code : undefined;
  if (timedOut || code === "ECONNABORTED" || code === "ETIMEDOUT") return { kind: "timeout", message: `no answer within ${timeoutMs} ms` };
  const message = err instanceof Error ? err.message : String(err);
  return { kind: "network", message: code ? `${code}: ${message}` : message };
}
