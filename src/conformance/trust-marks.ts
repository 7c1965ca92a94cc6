import { type JSONWebKeySet, type JWTPayload, SignJWT, createLocalJWKSet, jwtVerify } from "jose";
import type { TrustMarkRow } from "../store/repos/conformance-repo.js";
import type { SigningKeys } from "./signing-keys.js";

/** The claims of a production trust mark (正式环境信任标识). */
export type MarkClaims = {
  iss: string;
  sub: string;
  jti: string;
  supplier_code: string;
  credit_code: string;
  report_sha256: string;
  run_id: string;
  kit_version: string;
  contract_version: string;
  iat: number;
  exp: number;
};

export const MARK_TYPE = "emall-trust-mark+jwt";

export type MarkState = "valid" | "suspended" | "revoked" | "expired";

/** A compact JWS over the claims with the gateway's active key. */
export async function signMark(
  keys: SigningKeys,
  claims: Omit<MarkClaims, "iat" | "exp" | "sub" | "jti"> & { markId: string; issuedAt: number; expiresAt: number },
): Promise<{ jws: string; kid: string }> {
  const s = await keys.signer();
  const { markId, issuedAt, expiresAt, ...rest } = claims;
  const jws = await new SignJWT({ ...rest })
    .setProtectedHeader({ alg: s.alg, kid: s.kid, typ: MARK_TYPE })
    .setSubject(rest.supplier_code)
    .setJti(markId)
    .setIssuedAt(Math.floor(issuedAt / 1000))
    .setExpirationTime(Math.floor(expiresAt / 1000))
    .sign(s.key);
  return { jws, kid: s.kid };
}

export type MarkVerification = { ok: true; claims: MarkClaims; kid: string; expired: boolean } | { ok: false; reason: string; claims: JWTPayload | null };

/** Offline: the signature against the published keys, then the expiry. An expired mark still says who issued it. */
export async function verifyMark(jws: string, jwks: JSONWebKeySet, now: number): Promise<MarkVerification> {
  const keySet = createLocalJWKSet(jwks);
  try {
    // Expiry is judged below, so an expired mark is reported as such rather than as "invalid".
    const { payload, protectedHeader } = await jwtVerify(jws.trim(), keySet, { typ: MARK_TYPE, currentDate: new Date(0) });
    const claims = payload as unknown as MarkClaims;
    return { ok: true, claims, kid: String(protectedHeader.kid ?? ""), expired: claims.exp * 1000 <= now };
  } catch (e) {
    return { ok: false, reason: e instanceof Error ? e.message : String(e), claims: null };
  }
}

/** What a stored mark is now: revoked and suspended are decisions; expired follows from the dates. */
export function markState(mark: TrustMarkRow, now: number): MarkState {
  if (mark.state === "revoked") return "revoked";
  if (mark.state === "suspended") return "suspended";
  if (mark.expiresAt <= now) return "expired";
  if (mark.recertifyBy !== null && mark.recertifyBy <= now) return "expired";
  return "valid";
}
