import type { AuditEntry } from "../audit-trail.js";
import type { z } from "zod";
import { DomainError } from "../../lib/errors.js";
import type { Logger } from "../../lib/logger.js";
import type { AdminUserRow } from "../../store/repos/admin-repo.js";
import type { ActiveSession } from "../admin-sessions.js";
import { AdminError, type FieldError, adminCodeOfKind } from "../admin-errors.js";
import type { AdminApiServices } from "./route-services.js";
import type { AdminRouteServices } from "./route-table.js";
import type { AdminRoute, DeferredResult, RouteResult } from "./route-types.js";
import { scopeOf } from "./supplier-scope.js";

export type RawInput = { params: unknown; query: unknown; body: unknown };
/** `errorMap`: how zod words a bad field (the console reads zh-CN); unset, a missing field reads "required". */
export type RunDeps = { api: AdminApiServices; requestId: string; log: Logger; errorMap?: z.core.$ZodErrorMap };

/** `items[0].num`-style paths under where the value came from. */
function fieldPath(where: string, path: ReadonlyArray<PropertyKey>): string {
  let out = where;
  for (const part of path) out += typeof part === "number" ? `[${part}]` : `.${String(part)}`;
  return out;
}

const REQUIRED: z.core.$ZodErrorMap = (iss) => (iss.input === undefined ? "required" : undefined);

/**
 * Paths of the strings in `value` holding a NUL character: no text column stores one (PostgreSQL
 * refuses it outright), so such input is refused up front instead of failing in the store.
 */
function nulPaths(value: unknown): Array<ReadonlyArray<PropertyKey>> {
  const out: Array<ReadonlyArray<PropertyKey>> = [];
  // Iterative: a deeply nested body must not exhaust the stack.
  const stack: Array<[unknown, ReadonlyArray<PropertyKey>]> = [[value, []]];
  while (stack.length > 0) {
    const [v, path] = stack.pop() as [unknown, ReadonlyArray<PropertyKey>];
    if (typeof v === "string") {
      if (v.includes("\u0000")) out.push(path);
    } else if (v && typeof v === "object") {
      for (const [k, child] of Object.entries(v)) {
        if (k.includes("\u0000")) out.push([...path, k]);
        stack.push([child, [...path, Array.isArray(v) ? Number(k) : k]]);
      }
    }
  }
  return out;
}

function parsePart<T extends z.ZodType | undefined>(
  schema: T,
  value: unknown,
  where: string,
  fields: FieldError[],
  errorMap: z.core.$ZodErrorMap = REQUIRED,
): unknown {
  if (!schema) return {};
  const nul = nulPaths(value);
  if (nul.length > 0) {
    for (const path of nul) fields.push({ field: fieldPath(where, path), message: "must not contain a NUL character" });
    return undefined;
  }
  const parsed = schema.safeParse(value ?? {}, { error: errorMap });
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) fields.push({ field: fieldPath(where, issue.path), message: issue.message });
  return undefined;
}

export function mayCall(route: AdminRoute, user: AdminUserRow | undefined): boolean {
  if (route.roles === "public") return true;
  return user !== undefined && route.roles.includes(user.role);
}

/** Domain failures as admin errors, by kind; anything unknown stays unknown (500, logged in full). */
export function toAdminError(e: unknown): AdminError | undefined {
  if (e instanceof AdminError) return e;
  if (!(e instanceof DomainError)) return undefined;
  const code = adminCodeOfKind[e.kind];
  // Issues name fields of the body the route was sent (an order file), hence the body. prefix.
  return code === null
    ? undefined
    : new AdminError(
        code,
        e.message,
        e.issues.map((i) => ({ field: `body.${i.field}`, message: i.message })),
      );
}

/**
 * One route call, the same for the JSON API and the console's forms: role check (before any
 * input is read), zod validation of params, query and body with every bad field named, the
 * handler, and the audit row of a state-changing route — on success and on failure.
 */
export async function runRoute(route: AdminRoute<AdminRouteServices>, raw: RawInput, caller: ActiveSession | undefined, deps: RunDeps): Promise<RouteResult> {
  const user = caller?.user;
  const { audit, transactionIn } = deps.api;
  const actor = user?.username ?? "anonymous";
  const entryOf = (outcome: "ok" | "refused" | "failed", result: RouteResult["audit"], error?: string): AuditEntry | null => {
    const action = result?.action ?? route.audit;
    if (!action) return null;
    return {
      actor: result?.actor ?? actor,
      role: user?.role ?? null,
      action,
      target: result?.target ?? null,
      outcome,
      summary: { ...(result?.summary ?? {}), ...(error ? { error } : {}) },
      requestId: deps.requestId,
    };
  };
  const record = async (outcome: "ok" | "refused" | "failed", result: RouteResult["audit"], error?: string): Promise<void> => {
    const entry = entryOf(outcome, result, error);
    if (entry) await audit.record(entry);
  };
  const targetOf = (params: unknown) => (params && typeof params === "object" ? Object.values(params).map(String).join("/") || null : null);

  if (route.roles !== "public" && !user) throw new AdminError("unauthenticated", "log in first (POST /admin/api/login)");
  if (!mayCall(route, user)) {
    await record("refused", { target: targetOf(raw.params) }, `role ${user?.role ?? "none"} may not ${route.method} ${route.path}`);
    throw new AdminError("forbidden", `role ${user?.role ?? "none"} may not ${route.method} /admin/api${route.path}`);
  }
  const scope = await scopeOf(user, deps.api.accounts);
  const fields: FieldError[] = [];
  const params = parsePart(route.params, raw.params, "params", fields, deps.errorMap);
  const query = parsePart(route.query, raw.query, "query", fields, deps.errorMap);
  const body = parsePart(route.body, raw.body, "body", fields, deps.errorMap);
  if (fields.length > 0) {
    await record("refused", { target: targetOf(raw.params) }, "invalid input");
    throw new AdminError("invalid_input", `invalid input: ${fields.map((f) => `${f.field}: ${f.message}`).join("; ")}`, fields);
  }
  const ctx = { params, query, body, user, session: caller?.session, scope, services: deps.api.routes, requestId: deps.requestId, log: deps.log };
  /** The handler's store writes and its audit row, in one transaction: neither lands without the other. */
  const settleIn = (out: DeferredResult): Promise<RouteResult> =>
    transactionIn(async (tx) => {
      const result = await out.commitIn(tx);
      const entry = entryOf("ok", { target: targetOf(params), ...result.audit });
      if (entry) await audit.recordIn(tx, entry);
      return result;
    });
  try {
    const out = await route.handler(ctx);
    if ("commitIn" in out) {
      const result = await settleIn(out);
      result.afterCommit?.();
      return result;
    }
    await record("ok", { target: targetOf(params), ...out.audit });
    return out;
  } catch (e) {
    const known = toAdminError(e);
    // The caller hears what went wrong with the call, not with its audit row (the database may be
    // what failed both); a row that could not be written is logged.
    await record(known ? "refused" : "failed", { target: targetOf(params) }, known ? `${known.code}: ${known.message}` : "internal error").catch(
      (err: unknown) =>
        deps.log.error({ err, event: "audit.record.failed", route: `${route.method} ${route.path}` }, "the audit row of a failed call was not written"),
    );
    throw e;
  }
}
