import { CompactSign, type JWK, type JSONWebKeySet, compactVerify, createLocalJWKSet, exportJWK, generateKeyPair, importJWK } from "jose";
import { newId } from "../lib/ids.js";
import type { KeyRing } from "../security/key-ring.js";
import type { ConformanceRepo } from "../store/repos/conformance-repo.js";

/** ES256 (P-256): verifiable offline by every common JOSE library. */
export const MARK_ALG = "ES256";

type PrivateKey = Awaited<ReturnType<typeof importJWK>>;
export type Signer = { kid: string; alg: string; key: PrivateKey };

export type SigningKeys = ReturnType<typeof createSigningKeys>;

/**
 * The gateway's signing keys for reports and trust marks. The private JWK is sealed with the key
 * ring at rest. A key that has signed anything stays published after a rotation: the reports and
 * marks it signed are kept for good (retention-service.ts removes none), and each must go on
 * verifying against the published keys, a failed run's report as much as a live mark.
 */
export function createSigningKeys(repo: ConformanceRepo, ring: KeyRing, clock: () => number) {
  const imported = new Map<string, PrivateKey>();

  /** A new active key, the others retired: its kid and the kid of the key active before, if any. */
  async function generate(): Promise<{ kid: string; retired: string | null }> {
    const { publicKey, privateKey } = await generateKeyPair(MARK_ALG, { extractable: true });
    const kid = newId("key", 9);
    const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: MARK_ALG, use: "sig" };
    const privateJwk = await exportJWK(privateKey);
    const retired = await repo.rotateKey({
      kid,
      alg: MARK_ALG,
      publicJwkJson: JSON.stringify(publicJwk),
      privateJwkEnc: ring.encrypt(JSON.stringify(privateJwk)),
      createdAt: clock(),
      retiredAt: null,
      firstSignedAt: null,
    });
    return { kid, retired };
  }

  /** The active key, recorded as having signed before any signature of it leaves (jwks below). */
  async function signer(): Promise<Signer> {
    let row = await repo.activeKey();
    if (!row) {
      await generate();
      row = await repo.activeKey();
    }
    if (!row) throw new Error("no signing key could be created");
    await repo.noteSigned(row.kid, clock());
    let key = imported.get(row.kid);
    if (!key) {
      key = await importJWK(JSON.parse(ring.decrypt(row.privateJwkEnc)) as JWK, row.alg);
      imported.set(row.kid, key);
    }
    return { kid: row.kid, alg: row.alg, key };
  }

  /** The published key set: the active key, and every retired key that signed something. */
  async function jwks(): Promise<JSONWebKeySet> {
    const keys = (await repo.allKeys()).filter((k) => k.retiredAt === null || k.firstSignedAt !== null).map((k) => JSON.parse(k.publicJwkJson) as JWK);
    return { keys };
  }

  return {
    signer,
    jwks,
    /** A new active key; the old one is retired (still published if it signed anything). */
    rotate: (): Promise<{ kid: string; retired: string | null }> => generate(),
    /** A detached JWS (header..signature) over `payload` with the active key. */
    async signDetached(payload: Uint8Array): Promise<string> {
      const s = await signer();
      const jws = await new CompactSign(payload).setProtectedHeader({ alg: s.alg, kid: s.kid }).sign(s.key);
      const [header, , signature] = jws.split(".");
      return `${header}..${signature}`;
    },
  };
}

/** Checks a detached JWS over `payload` against a published key set; the kid that signed it, or why not. */
export async function verifyDetached(
  detached: string,
  payload: Uint8Array,
  jwks: JSONWebKeySet,
): Promise<{ ok: true; kid: string } | { ok: false; reason: string }> {
  const parts = detached.trim().split(".");
  if (parts.length !== 3 || parts[1] !== "") return { ok: false, reason: "not a detached JWS (header..signature)" };
  const compact = `${parts[0]}.${Buffer.from(payload).toString("base64url")}.${parts[2]}`;
  try {
    const verified = await compactVerify(compact, createLocalJWKSet(jwks));
    return { ok: true, kid: String(verified.protectedHeader.kid ?? "") };
  } catch (e) {
    return { ok: false, reason: e instanceof Error ? e.message : String(e) };
  }
}
