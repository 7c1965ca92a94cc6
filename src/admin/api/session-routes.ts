import { z } from "zod";
import { AdminError } from "../admin-errors.js";
import { NewPassword, Role, SupplierCode, Username } from "../admin-users.js";
import { ALL_ROLES, defineRoute } from "./route-types.js";
import { Ok } from "./views/common-views.js";
import { AdminUserView, SessionView } from "./views/user-views.js";

export const sessionRoutes = [
  defineRoute({
    method: "POST",
    path: "/login",
    roles: "public",
    tag: "session",
    summary: "Log in: sets the httpOnly session cookie and answers the CSRF token. Five failures in 15 minutes lock the username.",
    body: z.object({ username: z.string().trim().min(1).max(64), password: z.string().min(1).max(200) }),
    response: SessionView,
    async handler({ body, container, requestId }) {
      const s = await container.admin.sessions.login(body.username, body.password, requestId);
      return {
        body: { username: s.user.username, role: s.user.role, csrfToken: s.csrfToken, expiresAt: s.expiresAt },
        session: { id: s.sessionId, expiresAt: s.expiresAt },
      };
    },
  }),
  defineRoute({
    method: "POST",
    path: "/logout",
    roles: ALL_ROLES,
    tag: "session",
    summary: "End this session.",
    audit: "session.logout",
    atomic: true,
    response: Ok,
    handler({ container, session }) {
      if (session) container.admin.sessions.logout(session);
      return { body: { ok: true }, session: null };
    },
  }),
  defineRoute({
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
  defineRoute({
    method: "POST",
    path: "/session/password",
    roles: ALL_ROLES,
    tag: "session",
    summary: "Change your own password; every session of yours ends.",
    audit: "user.password_change",
    body: z.object({ currentPassword: z.string().min(1).max(200), newPassword: NewPassword }),
    response: Ok,
    async handler({ body, container, user }) {
      const username = user?.username ?? "";
      if (!(await container.admin.users.check(username, body.currentPassword))) {
        throw new AdminError("invalid_input", "the current password is wrong", [{ field: "body.currentPassword", message: "wrong password" }]);
      }
      const write = await container.admin.users.prepareUpdate(username, { password: body.newPassword });
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
  defineRoute({
    method: "GET",
    path: "/users",
    roles: ["admin"],
    tag: "users",
    summary: "Console users and their roles.",
    response: z.object({ users: z.array(AdminUserView) }),
    handler: ({ container }) => ({ body: { users: container.admin.users.list() } }),
  }),
  defineRoute({
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
    async handler({ body, container }) {
      const write = await container.admin.users.prepareCreate(body);
      return {
        commit: () => {
          const user = write();
          return { status: 201, body: { user }, audit: { target: user.username, summary: { after: user } } };
        },
      };
    },
  }),
  defineRoute({
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
    async handler({ params, body, container }) {
      const write = await container.admin.users.prepareUpdate(params.username, body);
      return {
        commit: () => {
          const { before, after } = write();
          return { body: { user: after }, audit: { summary: { before, after, passwordChanged: body.password !== undefined } } };
        },
      };
    },
  }),
];
