import { timingSafeEqual } from "node:crypto";
import type { Request, Response } from "express";
import { AdminError } from "./admin-errors.js";
import type { ActiveSession, AdminSessions } from "./admin-sessions.js";

/** The session cookie: httpOnly, SameSite=Strict, scoped to /admin, Secure whenever the request came over HTTPS. */
export const SESSION_COOKIE = "emall_admin_sid";
export const CSRF_HEADER = "X-CSRF-Token";
export const CSRF_FIELD = "_csrf";

export const isStateChanging = (method: string) => method !== "GET" && method !== "HEAD" && method !== "OPTIONS";

/** A cookie's value; one that is not valid percent-encoding is no value (it names no session we made). */
export function readCookie(req: Request, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

export function setSessionCookie(res: Response, session: { id: string; expiresAt: number } | null): void {
  // TLS here, or X-Forwarded-Proto: https from a trusted proxy (TRUST_PROXY) that terminated it.
  const secure = res.req.secure;
  const base = `Path=/admin; HttpOnly; SameSite=Strict${secure ? "; Secure" : ""}`;
  res.append(
    "Set-Cookie",
    session === null
      ? `${SESSION_COOKIE}=; ${base}; Max-Age=0`
      : `${SESSION_COOKIE}=${encodeURIComponent(session.id)}; ${base}; Expires=${new Date(session.expiresAt).toUTCString()}`,
  );
}

export function currentSession(req: Request, sessions: Pick<AdminSessions, "resolve">): Promise<ActiveSession | undefined> {
  return sessions.resolve(readCookie(req, SESSION_COOKIE));
}

const sameText = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/**
 * Defence in depth beside SameSite=Strict: a state-changing request that says where it comes
 * from must come from this host, and every one made in a session carries the session's token.
 */
export function checkCsrf(req: Request, caller: ActiveSession | undefined, token: string | undefined): void {
  const origin = req.get("Origin");
  if (origin && origin !== "null") {
    let host: string | undefined;
    try {
      host = new URL(origin).host;
    } catch {
      host = undefined;
    }
    if (host !== req.get("Host")) throw new AdminError("csrf_failed", `cross-origin request from ${origin} refused`);
  }
  if (caller && !(token && sameText(token, caller.session.csrfToken))) {
    throw new AdminError("csrf_failed", `missing or wrong CSRF token (send the token from login or GET /admin/api/session as ${CSRF_HEADER})`);
  }
}

/**
 * A failure before any handler runs, as the admin error it is: the body parser's (too large, too
 * many fields, not JSON, another charset) or express's own (a path that is not valid
 * percent-encoding); null for anything else. The API and the console answer it in their own
 * shapes, never through the mall's docking envelope.
 */
export function requestFailure(err: { type?: string; status?: number }, bodyLimit: string): AdminError | null {
  if (err.type === "entity.parse.failed") return new AdminError("invalid_input", "the body is not valid JSON", [{ field: "body", message: "not valid JSON" }]);
  if (err.type === "entity.too.large") return new AdminError("payload_too_large", `body over ${bodyLimit}`);
  if (err.type === "parameters.too.many") return new AdminError("payload_too_large", "the form has too many fields");
  if (err.type === "charset.unsupported" || err.type === "encoding.unsupported") {
    return new AdminError("unsupported_media_type", "send application/json in UTF-8, without a content encoding");
  }
  if (typeof err.status === "number" && err.status >= 400 && err.status < 500)
    return new AdminError("invalid_input", "the request cannot be read (path, encoding or body)");
  return null;
}
