import { SignMode, signRequest, signaturesEqual } from "../../contract/index.js";
import type { AccountRow } from "../../store/repos/account-repo.js";
import type { AccountSecrets } from "./account-secrets.js";

/**
 * Whether the request's `sign` is this hmac account's §2.1 signature over its fields, and nothing
 * else (no timestamp window, no nonce memory). A failure answer is signed (§2.3) only when this
 * holds: signing answers for callers who do not hold the appSecret would make the mall a signing
 * oracle for content the caller shapes.
 */
export function signedByAccount(secrets: AccountSecrets, account: AccountRow | undefined, fields: Readonly<Record<string, unknown>>): boolean {
  if (!account || account.signMode !== SignMode.HmacSha256) return false;
  const sign = fields.sign;
  if (typeof sign !== "string" || sign === "") return false;
  return signaturesEqual(signRequest(secrets.appSecretOf(account), fields), sign);
}
