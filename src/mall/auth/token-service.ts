import { SignJWT, compactVerify, errors as joseErrors, jwtVerify } from "jose";
import { newId } from "../../lib/ids.js";

/**
 * Mall access tokens (§2.1): HS256 JWTs naming the account and its credentials version, so a
 * rotation or disable (which bumps the version) revokes every token issued before it.
 */
export type TokenClaims = { accountId: number; credentialsVersion: number; expiresAtMs: number };

const ISSUER = "emall-gateway";
const AUDIENCE = "gyssc";
/** Verified tokens are remembered briefly so the hot path skips re-verifying the same token. */
const VERIFIED_CACHE_MAX = 10_000;

export type TokenService = ReturnType<typeof createTokenService>;

export function createTokenService(key: Uint8Array, ttlSeconds: number, clock: () => number = Date.now) {
  const verified = new Map<string, TokenClaims>();

  return {
    ttlSeconds,
    async issue(accountId: number, credentialsVersion: number): Promise<{ token: string; expiresAtMs: number }> {
      const nowS = Math.floor(clock() / 1000);
      const expS = nowS + ttlSeconds;
      const token = await new SignJWT({ cv: credentialsVersion })
        .setProtectedHeader({ alg: "HS256", typ: "JWT" })
        .setSubject(String(accountId))
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setIssuedAt(nowS)
        .setExpirationTime(expS)
        .setJti(newId("tok", 9))
        .sign(key);
      return { token, expiresAtMs: expS * 1000 };
    },

    /**
     * The account of a token we issued, even an expired one: the signature is checked, the clock is
     * not. Only for signing the 5005 answer with that account's secret (§2.3); never to authorize.
     */
    async issuerAccountOf(token: string): Promise<number | null> {
      try {
        const { payload } = await compactVerify(token, key, { algorithms: ["HS256"] });
        const sub = (JSON.parse(new TextDecoder().decode(payload)) as { sub?: unknown }).sub;
        const id = Number(sub);
        return Number.isSafeInteger(id) ? id : null;
      } catch {
        return null;
      }
    },

    /** The token's claims, or null when it is malformed, forged or expired. */
    async verify(token: string): Promise<TokenClaims | null> {
      const now = clock();
      const hit = verified.get(token);
      if (hit) {
        if (hit.expiresAtMs > now) return hit;
        verified.delete(token);
        return null;
      }
      try {
        const { payload } = await jwtVerify(token, key, {
          issuer: ISSUER,
          audience: AUDIENCE,
          algorithms: ["HS256"],
          currentDate: new Date(now),
        });
        const accountId = Number(payload.sub);
        const cv = payload.cv;
        if (!Number.isSafeInteger(accountId) || typeof cv !== "number" || typeof payload.exp !== "number") return null;
        const claims = { accountId, credentialsVersion: cv, expiresAtMs: payload.exp * 1000 };
        if (verified.size >= VERIFIED_CACHE_MAX) verified.clear();
        verified.set(token, claims);
        return claims;
      } catch (e) {
        if (e instanceof joseErrors.JOSEError) return null;
        throw e;
      }
    },
  };
}
