import type { KeyRing } from "../../security/key-ring.js";
import type { AccountRow } from "../../store/repos/account-repo.js";

/**
 * Decrypted appSecrets, kept per account and credentials version so each signed call does not
 * pay for an AES-GCM decrypt; a rotation changes the version and so misses the cache.
 */
export type AccountSecrets = ReturnType<typeof createAccountSecrets>;

export function createAccountSecrets(keys: KeyRing) {
  const cache = new Map<number, { version: number; secret: string }>();
  return {
    appSecretOf(account: Pick<AccountRow, "id" | "credentialsVersion" | "appSecretEnc">): string {
      const hit = cache.get(account.id);
      if (hit && hit.version === account.credentialsVersion) return hit.secret;
      const secret = keys.decrypt(account.appSecretEnc);
      cache.set(account.id, { version: account.credentialsVersion, secret });
      return secret;
    },
  };
}
