import type { SupplierView } from "../../../accounts/supplier-accounts.js";
import type { ConnectionView } from "../../../connections/supplier-connections.js";
import type { ConsolePage } from "../console-kit.js";
import type { PushPauseView } from "../../../orders/order-service.js";
import { signModes } from "../../../contract/index.js";
import { type Html, beijing, html } from "../html.js";
import { LABELS, zh, zhBadge } from "../labels.js";
import { csrfField, emptyRow } from "../layout.js";
import { pauseNotice } from "./order-pages.js";
import { trustMarkCard } from "./conformance-pages.js";
import { productionCard } from "./production-card.js";

export function credentialsCard(title: string, credentials: { username: string; password?: string; appSecret?: string }): Html {
  return html`<div class="card"><p>${title}</p><p class="muted">以下密钥只显示这一次，请立即通过安全渠道交给电商；系统只保存其哈希或密文。</p>
<dl class="kv secret"><dt>账号</dt><dd class="mono">${credentials.username}</dd>${credentials.password ? html`<dt>密码</dt><dd class="mono">${credentials.password}</dd>` : ""}${credentials.appSecret ? html`<dt>appSecret</dt><dd class="mono">${credentials.appSecret}</dd>` : ""}</dl>
<p><a href="/admin/suppliers">返回电商列表</a></p></div>`;
}

export const supplierPages: ConsolePage[] = [
  {
    path: "/suppliers",
    primary: ["GET", "/suppliers"],
    title: "电商",
    async render(ctx) {
      const { suppliers } = await ctx.api<{ suppliers: SupplierView[] }>("GET", "/suppliers");
      return html`<table><thead><tr><th scope="col">代码</th><th scope="col">名称</th><th scope="col">统一社会信用代码</th><th scope="col">域名</th><th scope="col">状态</th><th scope="col">账号</th><th scope="col">签名方式</th></tr></thead><tbody>
${suppliers.map(
  (
    s,
  ) => html`<tr><td class="mono"><a href="/admin/suppliers/${s.code}">${s.code}</a></td><td>${s.name}</td><td class="mono">${s.creditCode}</td><td class="mono">${s.domains.join(", ")}</td>
  <td>${zhBadge("supplierStatus", s.status)}</td><td class="mono">${s.username ?? ""}</td><td>${zh("signMode", s.signMode)}</td></tr>`,
)}
${emptyRow(suppliers, 7, "还没有登记电商，可在下方登记。")}
</tbody></table>
<h2>登记电商</h2>
<form class="card filters" method="post" action="/admin/suppliers">${csrfField(ctx.csrfToken)}
  <label>代码 *<input name="code" required size="8"></label><label>名称 *<input name="name" required></label>
  <label>统一社会信用代码 *<input name="creditCode" required size="20"></label><label>商品域名（逗号分隔） *<input name="domains" required size="30"></label>
  <label>联系人<input name="contactName"></label><label>联系电话<input name="contactPhone"></label>
  <button type="submit">登记并签发账号</button>
</form>`;
    },
  },
  {
    path: "/suppliers/:code",
    primary: ["GET", "/suppliers/:code"],
    title: (ctx) => `电商 ${ctx.params.code ?? ""}`,
    async render(ctx) {
      const code = ctx.params.code ?? "";
      const reveal = ctx.query.reveal === "true";
      const { supplier: s, connection: c } = await ctx.api<{ supplier: SupplierView; connection: ConnectionView | null }>("GET", "/suppliers/:code", {
        params: { code },
        query: reveal ? { reveal: "true" } : {},
      });
      const post = (path: string, fields: Html, label: string, secondary = false) =>
        html`<form class="inline" method="post" action="/admin/suppliers/${code}/${path}">${csrfField(ctx.csrfToken)}${fields}<button type="submit" class="${secondary ? "secondary" : ""}">${label}</button></form> `;
      const { pauses } = await ctx.api<{ pauses: PushPauseView[] }>("GET", "/order-pushes");
      const pause = pauses.find((p) => p.supplier === code);
      return html`${pause ? pauseNotice(ctx, pause) : ""}<div class="card"><h2>主体身份信息</h2><dl class="kv">
  <dt>代码</dt><dd>${s.code}</dd><dt>名称</dt><dd>${s.name}</dd><dt>统一社会信用代码</dt><dd class="mono">${s.creditCode}</dd>
  <dt>商品域名</dt><dd class="mono">${s.domains.join(", ")}</dd>
  <dt>联系人</dt><dd>${s.contactName ?? "—"}</dd><dt>联系电话</dt><dd>${s.contactPhone ?? "—"} ${reveal ? "" : html`<a href="/admin/suppliers/${code}?reveal=true">显示（记入审计日志）</a>`}</dd>
  <dt>状态</dt><dd>${zhBadge("supplierStatus", s.status)}</dd>
  <dt>卖场签发的账号</dt><dd><span class="mono">${s.username ?? ""}</span> · 凭据版本 ${s.credentialsVersion ?? ""}</dd>
  <dt>账号签名方式</dt><dd>${zh("signMode", s.signMode)}
    <form class="inline" method="post" action="/admin/suppliers/${code}/sign-mode">${csrfField(ctx.csrfToken)}<label class="inline-label" for="sign-mode">改为</label>
    <select id="sign-mode" name="signMode">${signModes.map((m) => html`<option value="${m}" ${m === s.signMode ? html`selected` : ""}>${zh("signMode", m)}</option>`)}</select>
    <button type="submit" class="secondary">保存签名方式</button></form></dd>
</dl>
<p>${post("status", html`<input type="hidden" name="enabled" value="${s.status === "active" ? "false" : "true"}">`, s.status === "active" ? "停用（立即吊销令牌）" : "启用", true)}
${post("rotate", html`<input type="hidden" name="password" value="true"><input type="hidden" name="appSecret" value="true">`, "轮换密码与 appSecret")}
${c ? post("sync", html``, "立即同步") : ""}
${c ? html`<a href="/admin/suppliers/${code}/quarantine">隔离消息</a> · ` : ""}<a href="/admin/sync/runs?supplier=${code}">同步批次</a> · <a href="/admin/products?supplier=${code}">商品</a></p></div>
${await trustMarkCard(ctx, code)}
${await productionCard(ctx, code)}
<div class="card"><h2>对接电商接口</h2>
${
  c
    ? html`<dl class="kv"><dt>接口地址</dt><dd class="mono">${c.baseUrl}</dd><dt>账号</dt><dd class="mono">${c.username}</dd><dt>签名 / 编码</dt><dd>${zh("signMode", c.signMode)} / ${zh("bodyFormat", c.bodyFormat)}</dd></dl>
<form class="filters" method="post" action="/admin/suppliers/${code}/connection">${csrfField(ctx.csrfToken)}
  <label>调用签名方式<select name="signMode">${signModes.map((m) => html`<option value="${m}" ${m === c.signMode ? html`selected` : ""}>${zh("signMode", m)}</option>`)}</select></label>
  <label>报文编码<select name="bodyFormat">${Object.entries(LABELS.bodyFormat).map(([v, n]) => html`<option value="${v}" ${v === c.bodyFormat ? html`selected` : ""}>${n}</option>`)}</select></label>
  <label>拉取计划（cron）<input name="pullSchedule" value="${c.pullSchedule}"></label>
  <label>库存计划（cron）<input name="stockSchedule" value="${c.stockSchedule}"></label>
  <label>并发<input name="maxConcurrent" value="${c.maxConcurrent}" size="4"></label>
  <label>QPS<input name="qps" value="${c.qps}" size="5"></label>
  <label>超时（毫秒）<input name="timeoutMs" value="${c.timeoutMs}" size="7"></label>
  <label>库存地区（逗号分隔）<input name="stockAreas" value="${c.stockAreas.join(",")}" size="30"></label>
  <button type="submit">保存对接设置</button>
</form>`
    : html`<p class="muted">尚未对接：请用命令 <code>npm run cli -- supplier connect</code> 或接口 <code>PUT /admin/api/suppliers/${code}/connection</code> 登记电商接口。</p>`
}
</div>`;
    },
  },
  {
    path: "/suppliers/:code/quarantine",
    primary: ["GET", "/suppliers/:code/quarantine"],
    title: (ctx) => `电商 ${ctx.params.code ?? ""} 的隔离消息`,
    async render(ctx) {
      const code = ctx.params.code ?? "";
      const { messages } = await ctx.api<{ messages: Quarantined[] }>("GET", "/suppliers/:code/quarantine", { params: { code } });
      const replay = (fields: Html, label: string, secondary = false) =>
        html`<form class="inline" method="post" action="/admin/suppliers/${code}/quarantine/replay">${csrfField(ctx.csrfToken)}${fields}<button type="submit" class="${secondary ? "secondary" : ""}">${label}</button></form>`;
      return html`<p>失败次数达到上限的消息，以及不合对接契约、无法解析的消息（收到即隔离，尝试次数为 0），在此隔离，不再自动重试。修正原因后可重放：消息回到收件箱，并立即按同一路径应用（记入审计日志）。</p>
<p>${messages.length > 0 ? replay(html`<input type="hidden" name="all" value="true">`, `全部重放（${messages.length} 条）`) : html`<span class="muted">没有隔离的消息。</span>`} <a href="/admin/suppliers/${code}">返回电商 ${code}</a></p>
${
  messages.length > 0
    ? html`<table><thead><tr><th scope="col">消息</th><th scope="col">类型</th><th scope="col">SKU</th><th scope="col">原因</th><th scope="col">尝试</th><th scope="col">收到</th><th scope="col">隔离</th><th scope="col">原始报文</th><th scope="col">操作</th></tr></thead><tbody>
${messages.map(
  (m) => html`<tr>
  <td class="mono">${m.messageId}</td><td>${m.type} ${zh("messageType", m.type)}</td><td class="mono">${m.sku}</td>
  <td>${m.unparseable ? html`<span class="badge bad">不合契约，未能解析</span> ` : ""}${m.reason ? reasonGist(m.reason) : "—"}</td><td class="num">${m.attempts}</td><td>${beijing(m.receivedAt)}</td><td>${beijing(m.settledAt)}</td>
  <td><details><summary>查看</summary><pre class="raw">${m.rawBody}</pre></details></td>
  <td>${replay(html`<input type="hidden" name="messageId" value="${m.messageId}">`, "重放", true)}</td>
</tr>`,
)}
</tbody></table>`
    : ""
}`;
    },
  },
];

/**
 * A quarantine reason as the puller wrote it ("S-4 /api/…: contract result.name: …"): which call
 * failed and how, in zh-CN, then the diagnostic itself as evidence.
 */
function reasonGist(reason: string): Html {
  const m = /^(S-\d+)\s+\S+:\s+(\w+)\b/.exec(reason);
  const gist = m ? `${m[1]} 应答${m[2] === "contract" ? "不合契约" : `失败（${zh("callOutcome", m[2] ?? "")}）`}：` : "";
  return html`${gist}<code>${reason}</code>`;
}

type Quarantined = {
  messageId: string;
  type: number;
  sku: string;
  unparseable: boolean;
  reason: string | null;
  attempts: number;
  receivedAt: number;
  settledAt: number | null;
  rawBody: string;
};
