import type { Request, RequestHandler, Response } from "express";
import {
  ErrorCode,
  type Failure,
  type MallOperationName,
  SignMode,
  applyAliases,
  failure,
  mallOperations,
  parseFields,
  presentFields,
  serializeSuccess,
} from "../contract/index.js";
import { bodyFields, bodyParsers } from "../http/body-parsing.js";
import { successBody, writeEnvelope, writeFailure } from "../http/envelope-response.js";
import type { AccountRow } from "../store/repos/account-repo.js";
import type { AccountSecrets } from "./auth/account-secrets.js";
import type { createCallAuth } from "./auth/call-auth.js";
import type { createTokenLogin } from "./auth/token-login.js";
import type { MallCalls } from "./mall-calls.js";

export type MallRouterDeps = {
  login: ReturnType<typeof createTokenLogin>;
  authenticate: ReturnType<typeof createCallAuth>;
  secrets: AccountSecrets;
  calls: MallCalls;
  /** Notes each account's first use of an operation (and first bad signature) for the conformance kit. */
  usage?: (accountId: number, operation: string, outcome: "ok" | "bad_signature" | "failed") => Promise<void>;
};

/**
 * The seven mall endpoints at the contract's exact paths: POST only (405 otherwise, §1). Paths
 * are literal: /getAreas, not /GETAREAS or /getAreas/.
 */
export function mallRouter(deps: MallRouterDeps): RequestHandler {
  const parsers = bodyParsers();
  const signingSecretOf = (account: AccountRow | undefined) => (account && account.signMode === SignMode.HmacSha256 ? deps.secrets.appSecretOf(account) : null);

  const note = async (accountId: number | undefined, operation: string, f: Failure | null): Promise<void> => {
    if (accountId === undefined || !deps.usage) return;
    if (f === null) await deps.usage(accountId, operation, "ok");
    else if (f.code === ErrorCode.SignatureInvalid) await deps.usage(accountId, operation, "bad_signature");
  };

  const fail = (req: Request, res: Response, f: Failure, account?: AccountRow) => {
    req.log.info({ event: "mall.call.refused", code: f.code, desc: f.desc, account: account?.username }, "call refused");
    writeFailure(res, f, signingSecretOf(account));
  };

  const fieldsOf = (req: Request, res: Response): Record<string, unknown> | null => {
    const fields = bodyFields(req.body);
    if (fields === null) writeFailure(res, failure(ErrorCode.Other, "请求体应为 JSON 对象或表单"), null);
    return fields;
  };

  const tokenRoute: RequestHandler = async (req, res) => {
    const fields = fieldsOf(req, res);
    if (!fields) return;
    const outcome = await deps.login(fields);
    if (!outcome.ok) {
      await note(outcome.account?.id, mallOperations.token.id, outcome.failure);
      return fail(req, res, outcome.failure, outcome.account);
    }
    await note(outcome.account.id, mallOperations.token.id, null);
    req.log.info({ event: "mall.token.issued", account: outcome.account.username }, "token issued");
    writeEnvelope(res, serializeSuccess(outcome.result), signingSecretOf(outcome.account));
  };

  const businessRoute = (name: Exclude<MallOperationName, "token">): RequestHandler => {
    const operation = mallOperations[name];
    const call = deps.calls[name] as (input: unknown, account: AccountRow) => ReturnType<MallCalls[typeof name]>;
    return async (req, res) => {
      const fields = fieldsOf(req, res);
      if (!fields) return;
      const auth = await deps.authenticate(fields);
      if (!auth.ok) {
        await note(auth.account?.id ?? auth.tokenAccountId, operation.id, auth.failure);
        return fail(req, res, auth.failure, auth.account);
      }
      const present = applyAliases(presentFields(fields), operation.aliases);
      const oneOf = "oneOf" in operation ? operation.oneOf : undefined;
      if (oneOf && !oneOf.fields.some((name) => present[name] !== undefined)) return fail(req, res, failure(oneOf.code), auth.account);
      const input = parseFields(operation.request, present);
      if (!input.ok) return fail(req, res, input.failure, auth.account);
      const answer = await call(input.value, auth.account);
      if (!answer.ok) return fail(req, res, answer.failure, auth.account);
      await note(auth.account.id, operation.id, null);
      writeEnvelope(res, successBody(answer.json), signingSecretOf(auth.account));
    };
  };

  const postOnly: RequestHandler = (req, res, next) => {
    if (req.method === "POST") return next();
    res.setHeader("Allow", "POST");
    writeFailure(res, failure(ErrorCode.Other, "仅支持 POST"), null, 405);
  };

  // The contract's paths are literal: one exact lookup instead of express matching each route in turn
  // on every signed call. Same chain as a route: POST only, body parsers, then the operation.
  const routes = new Map<string, RequestHandler[]>();
  for (const name of Object.keys(mallOperations) as MallOperationName[]) {
    routes.set(mallOperations[name].path, [postOnly, ...parsers, name === "token" ? tokenRoute : businessRoute(name)]);
  }
  const dispatch: RequestHandler = (req, res, next) => {
    const chain = routes.get(req.path);
    if (!chain) return next();
    let step = 0;
    const proceed = (err?: unknown): void => {
      if (err !== undefined && err !== null) return next(err);
      const handler = chain[step++];
      if (!handler) return next();
      try {
        const result: unknown = handler(req, res, proceed);
        if (result instanceof Promise) result.catch(next);
      } catch (e) {
        next(e);
      }
    };
    proceed();
  };
  return dispatch;
}
