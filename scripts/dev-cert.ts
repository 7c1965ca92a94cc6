import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { makeDevCertificates } from "../src/security/dev-cert.js";

/** `npm run dev-cert [-- --out DIR --host NAME…]`: a local CA and a server certificate for HTTPS. */
const { values } = parseArgs({
  options: { out: { type: "string", default: "certs" }, host: { type: "string", multiple: true } },
});
const out = resolve(values.out ?? "certs");
const hosts = values.host && values.host.length > 0 ? values.host : ["localhost", "127.0.0.1", "::1"];
const certs = makeDevCertificates(hosts);
mkdirSync(out, { recursive: true });
writeFileSync(join(out, "ca.pem"), certs.caCertPem);
writeFileSync(join(out, "ca-key.pem"), certs.caKeyPem, { mode: 0o600 });
writeFileSync(join(out, "server.pem"), certs.certPem);
writeFileSync(join(out, "server-key.pem"), certs.keyPem, { mode: 0o600 });
console.log(`wrote ${out}/{ca.pem,ca-key.pem,server.pem,server-key.pem} for ${hosts.join(", ")}`);
console.log(`serve HTTPS with: TLS_CERT=${join(out, "server.pem")} TLS_KEY=${join(out, "server-key.pem")} npm start`);
console.log(`trust the CA in clients with: NODE_EXTRA_CA_CERTS=${join(out, "ca.pem")}`);
