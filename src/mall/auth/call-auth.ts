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
    if (!claims) return { ok: false, failure: tokenExpired("token 无效或已过期") };
    const account = deps.accounts.accountById(claims.accountId);
    if (!account || account.status !== "active") return { ok: false, failure: tokenExpired("账户已停用") };
    if (account.credentialsVersion !== claims.credentialsVersion) return { ok: false, failure: tokenExpired("凭证已更换") };

    // The lineage's yggc-md5 business calls carry only the token.
    if (account.signMode === SignMode.YggcMd5) return { ok: true, account };

    const missing = (["timestamp", "nonce", "sign"] as const).filter((n) => typeof fields[n] !== "string" || fields[n] === "");
    if (missing.length > 0) return { ok: false, account, failure: failure(ErrorCode.RequiredFieldMissing, missing.join(",")) };
    const timestamp = fields.timestamp as string;
    const nonce = fields.nonce as string;
    const sign = fields.sign as string;

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
