import type { Request } from "express";
import type { AdminUserRow } from "../../store/repos/admin-repo.js";
import type { Html } from "./html.js";

/** What a page or action gets: the caller, its CSRF token, and `api` to call any admin route as itself. */
export type ConsoleContext = {
  req: Request;
  user: AdminUserRow;
  csrfToken: string;
  params: Record<string, string>;
  query: Record<string, string>;
  /** Values of a form posted back to its page (a round trip, or a refused submit); empty on GET. */
  form: Record<string, string>;
  /** A refused submit's errors by form field name, shown beside each field. */
  fieldErrors: Record<string, string>;
  /** Calls an admin API route with the caller's role checks, validation and audit; answers its body. */
  api<T = Record<string, unknown>>(
    method: "GET" | "POST" | "PUT" | "PATCH",
    path: string,
    input?: { params?: Record<string, string>; query?: Record<string, string>; body?: unknown },
  ): Promise<T>;
  /** https origins this page shows images from (a supplier's registered domains); the page's CSP allows exactly these. */
  imageSources: string[];
  /** The admin route's roles allow this caller. */
  may(method: "GET" | "POST" | "PUT" | "PATCH", path: string): boolean;
};

/** A console page: shown only to roles allowed to call its primary API route. */
export type ConsolePage = {
  path: string;
  /** The admin API route whose roles decide who sees this page. */
  primary: readonly ["GET" | "POST" | "PUT" | "PATCH", string];
  title: string | ((ctx: ConsoleContext) => string);
  /** The page also takes a POST of its own form and renders again with the values (no-script round trip). */
  refresh?: true;
  render(ctx: ConsoleContext): Promise<Html> | Html;
};

/** A console form post: runs one admin API route, then redirects (303) or shows a page once (secrets). */
export type ConsoleAction = {
  path: string;
  route: readonly ["POST" | "PUT" | "PATCH", string];
  /** On a refused submit, render this page (its path) again with the values and the errors beside their fields. */
  rerender?: string;
  input(form: Record<string, string>, params: Record<string, string>): { params?: Record<string, string>; body?: unknown };
  done(
    result: Record<string, unknown>,
    params: Record<string, string>,
    form: Record<string, string>,
  ): { redirect: string; message: FlashKey } | { title: string; body: Html };
};

/** Flash messages by key, so a crafted link cannot make the console say arbitrary text. */
export const FLASH = {
  saved: "已保存。",
  created: "已创建。",
  pushed: "已推送，结果见下方时间线。",
  retried: "已重新推送，结果见下方时间线。",
  resumed: "已恢复该电商的订单推送，等待中的订单将重新推送。",
  applied: "已申请上架，等待审核。",
  replayed: "已重放，结果见下表与消息日志。",
  approved: "已批准上架。",
  refused: "已拒绝上架。",
  synced: "同步已完成。",
  password: "密码已修改，请重新登录。",
  queued: "已发起对接测试，正在排队；本页显示进度。",
} as const;
export type FlashKey = keyof typeof FLASH;
