import { z } from "zod";
import { AdminError } from "../admin-errors.js";
import { NewPassword, Role, SupplierCode, Username } from "../admin-users.js";
import type { AdminSessions } from "../admin-sessions.js";
import type { AdminUsers } from "../admin-users.js";
import { ALL_ROLES, defineRouteWith } from "./route-types.js";
import { Ok } from "./views/common-views.js";
import { AdminUserView, SessionView } from "./views/user-views.js";

/** Logging in and out, and a user's own password. */
export type SessionRouteServices = {
  sessions: Pick<AdminSessions, "login" | "logout">;
  users: Pick<AdminUsers, "check" | "prepareUpdate">;
};

/** Console users, administered by administrators. */
export type UserRouteServices = { users: Pick<AdminUsers, "list" | "prepareCreate" | "prepareUpdate"> };

const defineSessionRoute = defineRouteWith<SessionRouteServices>();
const defineUserRoute = defineRouteWith<UserRouteServices>();

export const sessionRoutes = [
  defineSessionRoute({
    method: "POST",
    path: "/login",
    roles: "public",
    tag: "session",
    summary: "Log in: sets the httpOnly session cookie and answers the CSRF token. Five failures in 15 minutes lock the username.",
    body: z.object({ username: z.string().trim().min(1).max(64), password: z.string().min(1).max(200) }),
    response: SessionView,
    async handler({ body, services, requestId }) {
      const s = await services.sessions.login(body.username, body.password, requestId);
      return {
        body: { username: s.user.username, role: s.user.role, csrfToken: s.csrfToken, expiresAt: s.expiresAt },
        session: { id: s.sessionId, expiresAt: s.expiresAt },
      };
    },
  }),
  defineSessionRoute({
    method: "POST",
    path: "/logout",
    roles: ALL_ROLES,
    tag: "session",
    summary: "End this session.",
    audit: "session.logout",
    atomic: true,
    response: Ok,
    handler({ services, session }) {
      if (session) services.sessions.logout(session);
      return { body: { ok: true }, session: null };
    },
  }),
  defineSessionRoute({
    method: "GET",
    path: "/session",
    roles: ALL_ROLES,
    tag: "session",
    summary: "Who is logged in, and the session's CSRF token.",
    response: SessionView,
    handler({ user, session, scope }) {
      if (!user || !session) throw new AdminError("unauthenticated", "no session");
      return { body: { username: user.username, role: user.role, csrfToken: session.csrfToken, expiresAt: session.expiresAt, supplier: scope?.code ?? null } };
    },
  }),
  defineSessionRoute({
    method: "POST",
    path: "/session/password",
    roles: ALL_ROLES,
    tag: "session",
    summary: "Change your own password; every session of yours ends.",
    audit: "user.password_change",
    body: z.object({ currentPassword: z.string().min(1).max(200), newPassword: NewPassword }),
    response: Ok,
    async handler({ body, services, user }) {
      const username = user?.username ?? "";
      if (!(await services.users.check(username, body.currentPassword))) {
        throw new AdminError("invalid_input", "the current password is wrong", [{ field: "body.currentPassword", message: "wrong password" }]);
      }
      const write = await services.users.prepareUpdate(username, { password: body.newPassword });
      return {
        commit: () => {
          write();
          return { body: { ok: true }, session: null, audit: { target: username } };
        },
      };
    },
  }),
];

export const userRoutes = [
  defineUserRoute({
    method: "GET",
    path: "/users",
    roles: ["admin"],
    tag: "users",
    summary: "Console users and their roles.",
    response: z.object({ users: z.array(AdminUserView) }),
    handler: async ({ services }) => ({ body: { users: await services.users.list() } }),
  }),
  defineUserRoute({
    method: "POST",
    path: "/users",
    roles: ["admin"],
    tag: "users",
    summary: "Create a console user; a `supplier` user names the supplier (code) it belongs to and sees only that supplier's data.",
    audit: "user.create",
    body: z.object({ username: Username, role: Role, supplier: SupplierCode.optional(), password: NewPassword }),
    response: z.object({ user: AdminUserView }),
    status: 201,
    errors: ["not_found", "conflict"],
    async handler({ body, services }) {
      const write = await services.users.prepareCreate(body);
      return {
        commit: () => {
          const user = write();
          return { status: 201, body: { user }, audit: { target: user.username, summary: { after: user } } };
        },
      };
    },
  }),
  defineUserRoute({
    method: "PATCH",
    path: "/users/:username",
    roles: ["admin"],
    tag: "users",
    summary: "Change a user's role, enable/disable it or set its password; its sessions end.",
    audit: "user.update",
    params: z.object({ username: Username }),
    body: z
      .object({ role: Role.optional(), supplier: SupplierCode.optional(), enabled: z.boolean().optional(), password: NewPassword.optional() })
      .refine((b) => b.role !== undefined || b.supplier !== undefined || b.enabled !== undefined || b.password !== undefined, { message: "nothing to change" }),
    response: z.object({ user: AdminUserView }),
    errors: ["not_found"],
    async handler({ params, body, services }) {
      const write = await services.users.prepareUpdate(params.username, body);
      return {
        commit: () => {
          const { before, after } = write();
          return { body: { user: after }, audit: { summary: { before, after, passwordChanged: body.password !== undefined } } };
        },
      };
    },
  }),
];
