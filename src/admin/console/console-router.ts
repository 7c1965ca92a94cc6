import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import express, { type ErrorRequestHandler, type Request, type Response, Router } from "express";
import { AdminError } from "../admin-errors.js";
import { CSRF_FIELD, checkCsrf, currentSession, requestFailure, setSessionCookie } from "../admin-http.js";
import type { ActiveSession } from "../admin-sessions.js";
import { routeById } from "../api/route-table.js";
import { mayCall, runRoute, toAdminError } from "../api/route-runner.js";
import type { AdminApiServices } from "../api/route-services.js";
import { consoleActions } from "./console-actions.js";
import { FLASH, type ConsoleContext, type ConsolePage, type FlashKey } from "./console-kit.js";
import { ERROR_TITLES, errorText, fieldLabel, fieldText, formFieldOf, zhErrorMap } from "./console-messages.js";
import { consolePages, navFor } from "./console-pages.js";
import { type Html, html } from "./html.js";
import { layout } from "./layout.js";
import { loginPage } from "./pages/login-page.js";
import { type FollowedRun, streamRunEvents } from "./run-events.js";

/**
 * The web console: server-rendered HTML from express, one stylesheet, no script and no build step,
 * so it runs on a government network with nothing to download, and every read works without JS.
 * Pages and forms go through the admin API's route table: the same role checks, validation and audit.
 */
const ASSETS = join(dirname(fileURLToPath(import.meta.url)), "assets");
const CSS = readFileSync(join(ASSETS, "console.css"), "utf8");
/** Progressive enhancement only: every page and form works without it. */
const JS = readFileSync(join(ASSETS, "console.js"), "utf8");
const FORM_LIMIT = "64kb";

const strings = (value: unknown): Record<string, string> =>
  Object.fromEntries(Object.entries((value ?? {}) as Record<string, unknown>).filter(([, v]) => typeof v === "string") as Array<[string, string]>);

/**
 * Nothing but our own stylesheet and script; images from this origin, plus on a product page the
 * https origins of that supplier's registered domains (the product url rule of §7 already holds its
 * images there), so a reviewer sees them as sent without the page loading anything else.
 */
export function contentSecurityPolicy(imageSources: readonly string[]): string {
  return [
    "default-src 'none'",
    "style-src 'self'",
    "script-src 'self'",
    "connect-src 'self'",
    `img-src 'self' data: ${imageSources.join(" ")}`.trim(),
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join("; ");
}

/** Only our own paths after login: never an absolute or protocol-relative URL. */
const safeNext = (next: string | undefined) => (next && /^\/admin(\/[^/\\]|$|\?)/.test(next) && !next.startsWith("//") ? next : "/admin/");

export function consoleRouter(api: AdminApiServices): Router {
  const router = Router();
  const form = express.urlencoded({ extended: false, limit: FORM_LIMIT, parameterLimit: 200 });

  /** Route calls from the console: the same checks and audit, with zod's messages in zh-CN. */
  const deps = (req: Request) => ({ api, requestId: req.id, log: req.log, errorMap: zhErrorMap });

  const send = (res: Response, status: number, page: Html, imageSources: readonly string[] = []) =>
    res
      .status(status)
      .type("html")
      .setHeader("Cache-Control", "no-store")
      .setHeader("Content-Security-Policy", contentSecurityPolicy(imageSources))
      .send(page.text);

  const contextOf = (
    req: Request,
    caller: ActiveSession,
    formValues: Record<string, string> = {},
    fieldErrors: Record<string, string> = {},
  ): ConsoleContext => ({
    req,
    form: formValues,
    fieldErrors,
    user: caller.user,
    csrfToken: caller.session.csrfToken,
    params: strings(req.params),
    query: strings(req.query),
    imageSources: [],
    async api<T>(
      method: "GET" | "POST" | "PUT" | "PATCH",
      path: string,
      input: { params?: Record<string, string>; query?: Record<string, string>; body?: unknown } = {},
    ) {
      const result = await runRoute(routeById(method, path), { params: input.params ?? {}, query: input.query ?? {}, body: input.body }, caller, deps(req));
      return result.body as T;
    },
    may: (method, path) => mayCall(routeById(method, path), caller.user),
  });

  const errorPage = (req: Request, res: Response, caller: ActiveSession | undefined, e: unknown) => {
    const known = toAdminError(e);
    if (!known) req.log.error({ event: "console.error", err: e }, "console.error");
    const err = known ?? new AdminError("internal", "internal error");
    const title = ERROR_TITLES[err.code];
    const body = html`<div class="card"><p>${errorText(err, caller?.user)}</p>
      ${err.fields.length > 0 ? html`<ul class="reasons">${err.fields.map((f) => html`<li>${fieldLabel(f.field)} <code class="muted">${f.field}</code>：${fieldText(f.message)}</li>`)}</ul>` : ""}
      <p class="muted">请求编号 <code>${req.id}</code></p><p><a href="/admin/">返回首页</a></p></div>`;
    send(res, err.status, layout({ title, user: caller?.user, csrfToken: caller?.session.csrfToken, nav: caller ? navFor(caller.user) : [], body }));
  };

  router.get("/assets/console.css", (_req, res) => {
    res.type("css").setHeader("Cache-Control", "public, max-age=3600").send(CSS);
  });
  router.get("/assets/console.js", (_req, res) => {
    res.type("js").setHeader("Cache-Control", "public, max-age=3600").send(JS);
  });

  router.get("/login", (req, res) => send(res, 200, loginPage({ next: safeNext(strings(req.query).next) })));
  router.post("/login", form, async (req, res) => {
    const f = strings(req.body);
    try {
      checkCsrf(req, undefined, undefined);
      const result = await runRoute(
        routeById("POST", "/login"),
        { params: {}, query: {}, body: { username: f.username, password: f.password } },
        undefined,
        deps(req),
      );
      if (result.session) setSessionCookie(res, result.session);
      res.redirect(303, safeNext(f.next));
    } catch (e) {
      const err = toAdminError(e);
      const message =
        err?.code === "locked" || err?.code === "csrf_failed"
          ? errorText(err)
          : err?.code === "invalid_input"
            ? "请输入用户名和密码。"
            : "用户名或密码错误，或账号已停用。";
      send(res, err?.status ?? 500, loginPage({ next: safeNext(f.next), error: message, username: f.username }));
    }
  });

  router.post("/logout", form, async (req, res) => {
    const caller = await currentSession(req, api.sessions);
    try {
      if (caller) {
        checkCsrf(req, caller, strings(req.body)[CSRF_FIELD]);
        await runRoute(routeById("POST", "/logout"), { params: {}, query: {}, body: {} }, caller, deps(req));
      }
      setSessionCookie(res, null);
      res.redirect(303, "/admin/login");
    } catch (e) {
      errorPage(req, res, caller, e);
    }
  });

  /** One page for this caller: role check, render, layout; `form` and `fieldErrors` when a form comes back. */
  const renderPage = async (
    req: Request,
    res: Response,
    caller: ActiveSession,
    page: ConsolePage,
    options: { form?: Record<string, string>; fieldErrors?: Record<string, string>; status?: number; error?: string } = {},
  ) => {
    if (!mayCall(routeById(page.primary[0], page.primary[1]), caller.user)) {
      throw new AdminError("forbidden", `role ${caller.user.role} may not open ${page.path}`);
    }
    const ctx = contextOf(req, caller, options.form ?? {}, options.fieldErrors ?? {});
    const body = await page.render(ctx);
    const msg = ctx.query.msg as FlashKey | undefined;
    const flash = options.error ? { kind: "error" as const, text: options.error } : msg && msg in FLASH ? { kind: "ok" as const, text: FLASH[msg] } : undefined;
    const title = typeof page.title === "string" ? page.title : page.title(ctx);
    send(
      res,
      options.status ?? 200,
      layout({
        title,
        user: caller.user,
        csrfToken: caller.session.csrfToken,
        nav: navFor(caller.user),
        current: `/admin${page.path}`.replace(/^\/admin\/$/, "/admin/"),
        flash,
        body,
      }),
      ctx.imageSources,
    );
  };

  // A certification run's progress as server-sent events, for the run page (run-events.ts).
  router.get("/conformance/runs/:id/events", async (req, res) => {
    const caller = await currentSession(req, api.sessions);
    if (!caller) return void res.status(401).type("text").send("not logged in");
    const route = routeById("GET", "/conformance/runs/:id");
    const read = async (): Promise<FollowedRun> => {
      const { run } = (await runRoute(route, { params: strings(req.params), query: {}, body: undefined }, caller, deps(req))).body as {
        run: FollowedRun & { modules?: Array<{ id: string; title: string; status: string }> };
      };
      // An ended run answers its report's modules instead of its progress: the same list, as it ended.
      return run.progress ? run : { ...run, progress: (run.modules ?? []).map(({ id, title, status }) => ({ id, title, status })) };
    };
    try {
      // The first read answers a run outside the caller's scope, or unknown, before the stream opens.
      await read();
    } catch (e) {
      const known = toAdminError(e);
      if (!known) req.log.error({ event: "console.error", err: e }, "console.error");
      return void res
        .status(known?.status ?? 500)
        .type("text")
        .send(known ? errorText(known, caller.user) : "internal error");
    }
    try {
      await streamRunEvents(req, res, read);
    } catch (e) {
      req.log.warn({ event: "console.run_events.failed", err: e }, "run events stream ended on an error");
      res.end();
    }
  });

  for (const page of consolePages) {
    router.get(page.path, async (req, res) => {
      const caller = await currentSession(req, api.sessions);
      if (!caller) return res.redirect(303, `/admin/login?next=${encodeURIComponent(req.originalUrl)}`);
      try {
        await renderPage(req, res, caller, page);
      } catch (e) {
        errorPage(req, res, caller, e);
      }
    });
    // A form's round trip without a script (choose a province, search a product): the page again
    // with what was typed, posted so personal data never sits in a URL or an access log.
    if (page.refresh) {
      router.post(page.path, form, async (req, res) => {
        const caller = await currentSession(req, api.sessions);
        if (!caller) return res.redirect(303, "/admin/login");
        try {
          const f = strings(req.body);
          checkCsrf(req, caller, f[CSRF_FIELD]);
          await renderPage(req, res, caller, page, { form: f });
        } catch (e) {
          errorPage(req, res, caller, e);
        }
      });
    }
  }

  for (const action of consoleActions) {
    router.post(action.path, form, async (req, res) => {
      const caller = await currentSession(req, api.sessions);
      if (!caller) return res.redirect(303, "/admin/login");
      const f = strings(req.body);
      try {
        checkCsrf(req, caller, f[CSRF_FIELD]);
        const params = strings(req.params);
        const input = action.input(f, params);
        const result = await runRoute(
          routeById(action.route[0], action.route[1]),
          { params: input.params ?? params, query: {}, body: input.body ?? {} },
          caller,
          deps(req),
        );
        if (result.session === null) setSessionCookie(res, null);
        const next = action.done(result.body as Record<string, unknown>, params, f);
        if ("redirect" in next) return res.redirect(303, `${next.redirect}${next.redirect.includes("?") ? "&" : "?"}msg=${next.message}`);
        send(res, 200, layout({ title: next.title, user: caller.user, csrfToken: caller.session.csrfToken, nav: navFor(caller.user), body: next.body }));
      } catch (e) {
        const known = toAdminError(e);
        const page = action.rerender === undefined ? undefined : consolePages.find((p) => p.path === action.rerender);
        if (page && known && known.code !== "forbidden" && known.code !== "csrf_failed") {
          // The form again, with what was typed and each error beside its field.
          const fieldErrors: Record<string, string> = {};
          for (const fe of known.fields) {
            const name = formFieldOf(fe.field);
            const message = fieldText(fe.message);
            fieldErrors[name] = fieldErrors[name] ? `${fieldErrors[name]}；${message}` : message;
          }
          try {
            return await renderPage(req, res, caller, page, {
              form: f,
              fieldErrors,
              status: known.status,
              error: known.fields.length > 0 ? "请按字段旁的提示修改后再提交。" : errorText(known, caller.user),
            });
          } catch (inner) {
            return errorPage(req, res, caller, inner);
          }
        }
        errorPage(req, res, caller, e);
      }
    });
  }

  // Any other path under /admin: a page that says so, not the API's JSON.
  router.use(async (req, res) => {
    const caller = await currentSession(req, api.sessions);
    errorPage(req, res, caller, new AdminError("not_found", `no console page ${req.path}`));
  });
  // A path that does not decode or a form over its limits fails before any handler above runs:
  // a console page with an honest status, not the mall's envelope (which answers HTTP 200).
  const requestError: ErrorRequestHandler = async (err: { type?: string; status?: number }, req, res, next) => {
    if (res.headersSent) return next(err);
    errorPage(req, res, await currentSession(req, api.sessions), requestFailure(err, FORM_LIMIT) ?? err);
  };
  router.use(requestError);
  return router;
}
