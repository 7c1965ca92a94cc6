import {
  ErrorCode,
  type Failure,
  NONCE_MEMORY_SECONDS,
  SignMode,
  type TokenResult,
  failure,
  formatBeijingTimestamp,
  nonceFailure,
  signaturesEqual,
  timestampFailure,
  yggcMd5Sign,
} from "../../contract/index.js";
import { verifyPassword } from "../../security/password-hash.js";
import type { AccountRow } from "../../store/repos/account-repo.js";
import type { AuthDeps } from "./auth-deps.js";
import { signedByAccount } from "./caller-signature.js";

/** §2.1: 5 wrong passwords within 15 minutes lock the account for 15 minutes. */
export const LOCKOUT_FAILURES = 5;
export const LOCKOUT_WINDOW_MS = 15 * 60_000;
export const LOCKOUT_DURATION_MS = 15 * 60_000;

export type LoginOutcome =
  | { ok: true; result: TokenResult; account: AccountRow }
  /** `account` is set when the caller was identified, so the answer can still be signed. */
  | { ok: false; failure: Failure; account?: AccountRow };

const REQUIRED = ["username", "password", "timestamp", "sign"] as const;

/**
 * M-1, checks in the contract's order: missing field (5006), timestamp (5001), username (5002),
 * password and lockout (5003), signature or replayed nonce (5004). The attempt is counted before
 * scrypt runs, so parallel guesses cannot outrun the lockout. A failure is signed for the account
 * only when the caller's own signature checked out, which is decided silently up front.
 */
export function createTokenLogin(deps: AuthDeps) {
  const clock = deps.clock ?? Date.now;

  return async function login(fields: Readonly<Record<string, unknown>>): Promise<LoginOutcome> {
    const text = (name: string): string | undefined => {
      const v = fields[name];
      return typeof v === "string" && v !== "" ? v : typeof v === "number" ? String(v) : undefined;
    };
    const username = text("username");
    // The mode decides whether nonce is required, so the account is looked up before answering 5006.
    const known = username === undefined ? undefined : await deps.accounts.accountByUsername(username);
    const active = known?.status === "active" ? known : undefined;
    const mode = known?.signMode ?? SignMode.HmacSha256;
    const missing = REQUIRED.filter((name) => text(name) === undefined);
    if (mode === SignMode.HmacSha256 && text("nonce") === undefined) missing.push("nonce" as never);
    const signer = signedByAccount(deps.secrets, active, fields) && active ? { account: active } : {};
    if (missing.length > 0) return { ok: false, ...signer, failure: failure(ErrorCode.RequiredFieldMissing, missing.join(",")) };

    const now = clock();
    const timestamp = text("timestamp") ?? "";
    const stale = timestampFailure(timestamp, now);
    if (stale) return { ok: false, ...signer, failure: stale };

    if (!active) return { ok: false, failure: failure(ErrorCode.UsernameUnknown) };
    const account = active;

    const attempt = await deps.accounts.beginLoginAttempt(account.id, now, LOCKOUT_WINDOW_MS, LOCKOUT_FAILURES);
    if (!attempt.ok) return { ok: false, ...signer, failure: lockedFailure(attempt.lockedUntil ?? now + LOCKOUT_DURATION_MS) };
    const password = text("password") ?? "";
    if (!(await verifyPassword(password, account.passwordHash))) {
      if ((await deps.accounts.loginFailuresSince(account.id, now - LOCKOUT_WINDOW_MS)) >= LOCKOUT_FAILURES) {
        const until = now + LOCKOUT_DURATION_MS;
        await deps.accounts.lockAccount(account.id, until);
        return { ok: false, ...signer, failure: lockedFailure(until) };
      }
      return { ok: false, ...signer, failure: failure(ErrorCode.PasswordWrong) };
    }
    // A right password is not a failure, whatever the signature says next.
    await deps.accounts.forgetLoginAttempt(attempt.attemptId);

    const sign = text("sign") ?? "";
    if (account.signMode === SignMode.YggcMd5) {
      if (!signaturesEqual(yggcMd5Sign(account.username, password, timestamp), sign)) {
        return { ok: false, failure: failure(ErrorCode.SignatureInvalid) };
      }
    } else {
      const nonce = text("nonce") ?? "";
      const badNonce = nonceFailure(nonce);
      if (badNonce) return { ok: false, ...signer, failure: badNonce };
      if (!signer.account) return { ok: false, failure: failure(ErrorCode.SignatureInvalid) };
      if (!(await deps.nonces.remember(account.id, nonce, now, NONCE_MEMORY_SECONDS * 1000))) {
        return { ok: false, account, failure: failure(ErrorCode.SignatureInvalid, "nonce 已使用") };
      }
    }

    await deps.accounts.loginSucceeded(account.id);
    const issued = await deps.tokens.issue(account.id, account.credentialsVersion);
    return {
      ok: true,
      account,
      result: {
        access_token: issued.token,
        expires_at: formatBeijingTimestamp(issued.expiresAtMs),
        expires_in: deps.tokens.ttlSeconds,
      },
    };
  };
}

function lockedFailure(until: number): Failure {
  return failure(ErrorCode.PasswordWrong, `账户已锁定，请于 ${formatBeijingTimestamp(until)} 后重试`);
}
