import forge from "node-forge";

/**
 * A local certificate authority and a server certificate signed by it, for running the gateway
 * over HTTPS on a workstation or a test host. Production uses the centre's real certificates.
 */
export type DevCertificates = { caCertPem: string; caKeyPem: string; certPem: string; keyPem: string };

const KEY_BITS = 2048;
const CA_YEARS = 5;
const SERVER_DAYS = 397;

function serial(): string {
  // A positive 16-byte serial: the leading nibble is kept below 8 so it never reads as negative.
  return "0" + forge.util.bytesToHex(forge.random.getBytesSync(15));
}

export function makeDevCertificates(hosts: readonly string[] = ["localhost", "127.0.0.1", "::1"]): DevCertificates {
  const now = new Date();
  const caKeys = forge.pki.rsa.generateKeyPair(KEY_BITS);
  const ca = forge.pki.createCertificate();
  ca.publicKey = caKeys.publicKey;
  ca.serialNumber = serial();
  ca.validity.notBefore = new Date(now.getTime() - 60_000);
  ca.validity.notAfter = new Date(now.getTime() + CA_YEARS * 365 * 86_400_000);
  const caSubject = [
    { name: "commonName", value: "emall-gateway local CA" },
    { name: "organizationName", value: "emall-gateway (development)" },
  ];
  ca.setSubject(caSubject);
  ca.setIssuer(caSubject);
  ca.setExtensions([
    { name: "basicConstraints", cA: true, critical: true },
    { name: "keyUsage", keyCertSign: true, cRLSign: true, critical: true },
    { name: "subjectKeyIdentifier" },
  ]);
  ca.sign(caKeys.privateKey, forge.md.sha256.create());

  const keys = forge.pki.rsa.generateKeyPair(KEY_BITS);
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = serial();
  cert.validity.notBefore = new Date(now.getTime() - 60_000);
  cert.validity.notAfter = new Date(now.getTime() + SERVER_DAYS * 86_400_000);
  cert.setSubject([{ name: "commonName", value: hosts[0] ?? "localhost" }]);
  cert.setIssuer(caSubject);
  cert.setExtensions([
    { name: "basicConstraints", cA: false },
    { name: "keyUsage", digitalSignature: true, keyEncipherment: true, critical: true },
    { name: "extKeyUsage", serverAuth: true },
    {
      name: "subjectAltName",
      altNames: hosts.map((h) => (/^[\d.]+$|:/.test(h) ? { type: 7, ip: h } : { type: 2, value: h })),
    },
  ]);
  cert.sign(caKeys.privateKey, forge.md.sha256.create());

  return {
    caCertPem: forge.pki.certificateToPem(ca),
    caKeyPem: forge.pki.privateKeyToPem(caKeys.privateKey),
    certPem: forge.pki.certificateToPem(cert),
    keyPem: forge.pki.privateKeyToPem(keys.privateKey),
  };
}
