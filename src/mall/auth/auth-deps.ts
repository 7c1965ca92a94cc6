import type { AccountRepo } from "../../store/repos/account-repo.js";
import type { NonceRepo } from "../../store/repos/nonce-repo.js";
import type { AccountSecrets } from "./account-secrets.js";
import type { TokenService } from "./token-service.js";

/** What the token call and signed-call checks both read: accounts, nonces, secrets, tokens, time. */
export type AuthDeps = {
  accounts: AccountRepo;
  nonces: NonceRepo;
  secrets: AccountSecrets;
  tokens: TokenService;
  clock?: () => number;
};
