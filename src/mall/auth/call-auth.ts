import { ErrorCode, type Failure, SignMode, TOKEN_EXPIRED_MARKER, failure, nonceFailure, timestampFailure } from "../../contract/index.js";
import type { AccountRow } from "../../store/repos/account-repo.js";
import type { AuthDeps } from "./auth-deps.js";
import { signedByAccount } from "./caller-signature.js";
import type { ReplayGuard } from "./replay-guard.js";

export type CallAuthOutcome = { ok: true; account: AccountRow } | { ok: false; failure: Failure; account?: AccountRow; tokenAccountId?: number };

const tokenExpired = (why: string): Failure => failure(ErrorCode.TokenExpired, `${TOKEN_EXPIRED_MARKER} (${why})`);

/**
 * §2.2, in the contract's order: token present (5006), token valid (5005, desc carries
 * `token_expired`), signing fields present (5006), timestamp (5001), signature and nonce (5004).
 * A failure names its account, so it is signed (§2.3), only when the request's own signature by
 * that account checked out: a token alone must not buy signed answers.
 */
export function createCallAuth(deps: AuthDeps & { replay: ReplayGuard }) {
  const clock = deps.clock ?? Date.now;

  return async function authenticate(fields: Readonly<Record<string, unknown>>): Promise<CallAuthOutcome> {
    const token = fields.token;
    if (typeof token !== "string" || token === "") return { ok: false, failure: failure(ErrorCode.RequiredFieldMissing, "token") };
    const signerIf = (account: AccountRow | undefined) => (account && signedByAccount(deps.secrets, account, fields) ? { account } : {});
    const claims = await deps.tokens.verify(token);
    if (!claims) {
      // An expired token of ours still names its account, so a signed caller's 5005 can be signed.
      const issuer = await deps.tokens.issuerAccountOf(token);
      const owner = issuer === null ? undefined : await deps.accounts.accountById(issuer);
      return { ok: false, failure: tokenExpired("token 无效或已过期"), ...signerIf(owner) };
    }
    const account = await deps.accounts.accountById(claims.accountId);
    if (!account) return { ok: false, failure: tokenExpired("账户不存在") };
    if (account.status !== "active") return { ok: false, ...signerIf(account), failure: tokenExpired("账户已停用") };
    if (account.credentialsVersion !== claims.credentialsVersion) return { ok: false, ...signerIf(account), failure: tokenExpired("凭证已更换") };

    // The lineage's yggc-md5 business calls carry only the token.
    if (account.signMode === SignMode.YggcMd5) return { ok: true, account };

    // JSON clients may send numbers; the wire text is what was signed (§2.1).
    const text = (name: "timestamp" | "nonce" | "sign"): string => {
      const v = fields[name];
      return typeof v === "string" ? v : typeof v === "number" ? String(v) : "";
    };
    const signer = signerIf(account);
    const missing = (["timestamp", "nonce", "sign"] as const).filter((n) => text(n) === "");
    if (missing.length > 0) return { ok: false, ...signer, failure: failure(ErrorCode.RequiredFieldMissing, missing.join(",")) };
    const nonce = text("nonce");

    const now = clock();
    const refused = timestampFailure(text("timestamp"), now) ?? nonceFailure(nonce);
    if (refused) return { ok: false, ...signer, failure: refused };
    // Unsigned, but the token's account is named for bookkeeping (the conformance kit's mall-usage module).
    if (!signer.account) return { ok: false, failure: failure(ErrorCode.SignatureInvalid), tokenAccountId: account.id };
    if (!(await deps.replay.claim(account.id, nonce, now))) {
      return { ok: false, account, failure: failure(ErrorCode.SignatureInvalid, "nonce 已使用") };
    }
    return { ok: true, account };
  };
}
