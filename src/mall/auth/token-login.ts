import {
  ErrorCode,
  type Failure,
  NONCE_MEMORY_SECONDS,
  SignMode,
  type TokenResult,
  failure,
  formatBeijingTimestamp,
  signRequest,
  nonceFailure,
  signaturesEqual,
  timestampFailure,
  yggcMd5Sign,
} from "../../contract/index.js";
import { verifyPassword } from "../../security/password-hash.js";
import type { AccountRow } from "../../store/repos/account-repo.js";
import type { AuthDeps } from "./auth-deps.js";

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
 * password and lockout (5003), signature or replayed nonce (5004).
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
    const known = username === undefined ? undefined : deps.accounts.accountByUsername(username);
    const mode = known?.signMode ?? SignMode.HmacSha256;
    const missing = REQUIRED.filter((name) => text(name) === undefined);
    if (mode === SignMode.HmacSha256 && text("nonce") === undefined) missing.push("nonce" as never);
    // Answers to an identified hmac account are signed with its secret, failures too (§2.3).
    const signer = known?.status === "active" ? { account: known } : {};
    if (missing.length > 0) return { ok: false, ...signer, failure: failure(ErrorCode.RequiredFieldMissing, missing.join(",")) };

    const now = clock();
    const timestamp = text("timestamp") ?? "";
    const stale = timestampFailure(timestamp, now);
    if (stale) return { ok: false, ...signer, failure: stale };

    if (!known || known.status !== "active") return { ok: false, failure: failure(ErrorCode.UsernameUnknown, `username=${username}`) };
    const account = known;

    if (account.lockedUntil !== null && account.lockedUntil > now) {
      return { ok: false, account, failure: lockedFailure(account.lockedUntil) };
    }
    const password = text("password") ?? "";
    if (!(await verifyPassword(password, account.passwordHash))) {
      const recent = deps.accounts.recordLoginFailure(account.id, now, LOCKOUT_WINDOW_MS);
      if (recent >= LOCKOUT_FAILURES) {
        const until = now + LOCKOUT_DURATION_MS;
        deps.accounts.lockAccount(account.id, until);
        return { ok: false, account, failure: lockedFailure(until) };
      }
      return { ok: false, account, failure: failure(ErrorCode.PasswordWrong) };
    }

    const sign = text("sign") ?? "";
    if (account.signMode === SignMode.YggcMd5) {
      if (!signaturesEqual(yggcMd5Sign(account.username, password, timestamp), sign)) {
        return { ok: false, account, failure: failure(ErrorCode.SignatureInvalid) };
      }
    } else {
      const nonce = text("nonce") ?? "";
      const badNonce = nonceFailure(nonce);
      if (badNonce) return { ok: false, account, failure: badNonce };
      const secret = deps.secrets.appSecretOf(account);
      if (!signaturesEqual(signRequest(secret, fields), sign)) {
        return { ok: false, account, failure: failure(ErrorCode.SignatureInvalid) };
      }
      if (!deps.nonces.remember(account.id, nonce, now, NONCE_MEMORY_SECONDS * 1000)) {
        return { ok: false, account, failure: failure(ErrorCode.SignatureInvalid, "nonce 已使用") };
      }
    }

    deps.accounts.clearLoginFailures(account.id);
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
