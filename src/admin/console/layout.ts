import type { AdminUserRow } from "../../store/repos/admin-repo.js";
import { CSRF_FIELD } from "../admin-http.js";
import { Html, html } from "./html.js";

export const ROLE_NAMES: Record<AdminUserRow["role"], string> = { admin: "管理员", procurement: "采购人员", auditor: "审计员", supplier: "电商用户" };

export type NavItem = { href: string; label: string; visible: boolean };

/** A hidden CSRF field for a form posted in a session. */
export const csrfField = (token: string) => html`<input type="hidden" name="${CSRF_FIELD}" value="${token}">`;

export function layout(options: {
  title: string;
  user?: AdminUserRow;
  csrfToken?: string;
  nav?: readonly NavItem[];
  current?: string;
  flash?: { kind: "ok" | "error"; text: string };
  body: Html;
}): Html {
  const { user, nav = [], current = "" } = options;
  return html`<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${options.title} · 电子卖场对接网关</title>
<link rel="stylesheet" href="/admin/assets/console.css">
<script src="/admin/assets/console.js" defer></script>
</head>
<body>
<a class="skip" href="#main">跳到正文</a>
<header class="top">
  <span class="brand">电子卖场对接网关 · ${user?.role === "supplier" ? "电商自助平台" : "管理控制台"}</span>
  <nav aria-label="主导航">${nav.filter((n) => n.visible).map((n) => html`<a href="${n.href}" class="${n.href === current ? "on" : ""}" ${n.href === current ? html`aria-current="page"` : ""}>${n.label}</a>`)}</nav>
  ${
    user
      ? html`<span class="who"><a href="/admin/account">${user.username}</a>（${ROLE_NAMES[user.role]}）
      <form method="post" action="/admin/logout">${csrfField(options.csrfToken ?? "")}<button type="submit">退出</button></form></span>`
      : ""
  }
</header>
<main id="main" tabindex="-1">
${options.flash ? html`<div class="flash ${options.flash.kind === "error" ? "error" : ""}" role="status">${options.flash.text}</div>` : ""}
<h1>${options.title}</h1>
${scrollTables(options.body)}
</main>
</body>
</html>`;
}

/** Every table scrolls sideways inside its own box on a narrow screen, so ids never wrap and the page keeps its width. */
const scrollTables = (body: Html): Html => new Html(body.text.replace(/<table\b/g, '<div class="scroll"><table').replace(/<\/table>/g, "</table></div>"));

/** A table's one row when it has none: says so in words instead of an empty grid. */
export const emptyRow = (rows: readonly unknown[], columns: number, text: string): Html | "" =>
  rows.length === 0 ? html`<tr><td colspan="${columns}" class="muted empty">${text}</td></tr>` : "";

export function badge(text: string, tone: "ok" | "warn" | "bad" | "" = ""): Html {
  return html`<span class="badge ${tone}">${text}</span>`;
}

export const statusTone = (s: string): "ok" | "warn" | "bad" | "" =>
  ["succeeded", "applied", "active", "approved", "confirmed", "ok"].includes(s)
    ? "ok"
    : ["partial", "skipped", "applied_listing", "submitting", "submitted", "confirming", "created", "applied", "running", "refused_listing"].includes(s)
      ? "warn"
      : ["failed", "rejected", "quarantined", "refused", "disabled", "delisted"].includes(s)
        ? "bad"
        : "";
