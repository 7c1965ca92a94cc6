import {
  ErrorCode,
  type Failure,
  NONCE_MEMORY_SECONDS,
  SignMode,
  TOKEN_EXPIRED_MARKER,
  failure,
  signRequest,
  nonceFailure,
  signaturesEqual,
  timestampFailure,
} from "../../contract/index.js";
import type { AccountRow } from "../../store/repos/account-repo.js";
import type { AuthDeps } from "./auth-deps.js";

export type CallAuthOutcome =
  | { ok: true; account: AccountRow }
  | { ok: false; failure: Failure; account?: AccountRow };

const tokenExpired = (why: string): Failure => failure(ErrorCode.TokenExpired, `${TOKEN_EXPIRED_MARKER} (${why})`);

/**
 * §2.2, in the contract's order: token present (5006), token valid (5005, desc carries
 * `token_expired`), signing fields present (5006), timestamp (5001), signature and nonce (5004).
 */
export function createCallAuth(deps: AuthDeps) {
  const clock = deps.clock ?? Date.now;

  return async function authenticate(fields: Readonly<Record<string, unknown>>): Promise<CallAuthOutcome> {
    const token = fields.token;
    if (typeof token !== "string" || token === "") return { ok: false, failure: failure(ErrorCode.RequiredFieldMissing, "token") };
    const claims = await deps.tokens.verify(token);
    if (!claims) {
      // An expired token of ours still names its account, so the 5005 can be signed (§2.3).
      const issuer = await deps.tokens.issuerAccountOf(token);
      const owner = issuer === null ? undefined : deps.accounts.accountById(issuer);
      return { ok: false, failure: tokenExpired("token 无效或已过期"), ...(owner ? { account: owner } : {}) };
    }
    const account = deps.accounts.accountById(claims.accountId);
    if (!account) return { ok: false, failure: tokenExpired("账户不存在") };
    if (account.status !== "active") return { ok: false, account, failure: tokenExpired("账户已停用") };
    if (account.credentialsVersion !== claims.credentialsVersion) return { ok: false, account, failure: tokenExpired("凭证已更换") };

    // The lineage's yggc-md5 business calls carry only the token.
    if (account.signMode === SignMode.YggcMd5) return { ok: true, account };

    // JSON clients may send numbers; the wire text is what was signed (§2.1).
    const text = (name: "timestamp" | "nonce" | "sign"): string => {
      const v = fields[name];
      return typeof v === "string" ? v : typeof v === "number" ? String(v) : "";
    };
    const missing = (["timestamp", "nonce", "sign"] as const).filter((n) => text(n) === "");
    if (missing.length > 0) return { ok: false, account, failure: failure(ErrorCode.RequiredFieldMissing, missing.join(",")) };
    const timestamp = text("timestamp");
    const nonce = text("nonce");
    const sign = text("sign");

    const now = clock();
    const refused = timestampFailure(timestamp, now) ?? nonceFailure(nonce);
    if (refused) return { ok: false, account, failure: refused };
    if (!signaturesEqual(signRequest(deps.secrets.appSecretOf(account), fields), sign)) {
      return { ok: false, account, failure: failure(ErrorCode.SignatureInvalid) };
    }
    if (!deps.nonces.remember(account.id, nonce, now, NONCE_MEMORY_SECONDS * 1000)) {
      return { ok: false, account, failure: failure(ErrorCode.SignatureInvalid, "nonce 已使用") };
    }
    return { ok: true, account };
  };
}
