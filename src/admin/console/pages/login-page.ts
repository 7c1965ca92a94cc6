import { type Html, html } from "../html.js";
import { layout } from "../layout.js";

export function loginPage(options: { next: string; error?: string; username?: string }): Html {
  return layout({
    title: "登录",
    flash: options.error ? { kind: "error", text: options.error } : undefined,
    body: html`<div class="card login">
  <form method="post" action="/admin/login">
    <input type="hidden" name="next" value="${options.next}">
    <label>用户名<input name="username" autocomplete="username" required maxlength="64" value="${options.username ?? ""}" autofocus></label>
    <label>密码<input name="password" type="password" autocomplete="current-password" required maxlength="200"></label>
    <button type="submit">登录</button>
  </form>
  <p class="muted">连续 5 次密码错误将锁定 15 分钟。</p>
</div>`,
  });
}
