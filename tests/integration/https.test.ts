import { writeFileSync } from "node:fs";
import { request } from "node:https";
import { join } from "node:path";
import { connect } from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeDevCertificates } from "../../src/security/dev-cert.js";
import { type TestGateway, startTestGateway } from "../helpers/harness.js";

let gw: TestGateway;
let caPem: string;

beforeAll(async () => {
  const certs = makeDevCertificates();
  caPem = certs.caCertPem;
  const dir = (await import("node:fs")).mkdtempSync(join((await import("node:os")).tmpdir(), "emall-tls-"));
  writeFileSync(join(dir, "server.pem"), certs.certPem);
  writeFileSync(join(dir, "server-key.pem"), certs.keyPem);
  gw = await startTestGateway({ TLS_CERT: join(dir, "server.pem"), TLS_KEY: join(dir, "server-key.pem") });
}, 60_000);
afterAll(() => gw.close());

const port = () => Number(new URL(gw.url).port);

describe("HTTPS (§8.1.1)", () => {
  it("serves enveloped answers over TLS with a certificate the local CA vouches for", async () => {
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request({ host: "127.0.0.1", port: port(), path: "/gyssc/token", method: "POST", ca: caPem, servername: "localhost" }, (res) => {
        let body = "";
        res.on("data", (c: Buffer) => (body += c.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on("error", reject);
      req.end();
    });
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toMatchObject({ success: false, code: 5006 });
  });

  it("refuses plain HTTP on the TLS port", async () => {
    await expect(fetch(`http://127.0.0.1:${port()}/gyssc/token`, { method: "POST" })).rejects.toThrow();
  });

  it("refuses TLS 1.1 and accepts TLS 1.2", async () => {
    const handshake = (version: "TLSv1.1" | "TLSv1.2") =>
      new Promise<string>((resolve) => {
        const socket = connect({ host: "127.0.0.1", port: port(), ca: caPem, servername: "localhost", minVersion: version, maxVersion: version }, () => {
          resolve(socket.getProtocol() ?? "none");
          socket.end();
        });
        socket.on("error", () => resolve("refused"));
      });
    expect(await handshake("TLSv1.1")).toBe("refused");
    expect(await handshake("TLSv1.2")).toBe("TLSv1.2");
  });
});
