import type { ConsolePage } from "../console-kit.js";
import { beijing, href, html } from "../html.js";
import { badge, statusTone } from "../layout.js";

type Dashboard = {
  suppliers?: Array<{ code: string; name: string; status: string; lastRun: { id: string; status: string; startedAt: number } | null; backlog: number; messages24h: number; failureRate24h: number }>;
  orders?: Record<string, number>;
};

const ORDER_STATE_NAMES: Record<string, string> = { created: "待推送", submitting: "提交中", submitted: "已提交", confirming: "确认中", confirmed: "已确认", failed: "失败" };

export const dashboardPage: ConsolePage = {
  path: "/",
  primary: ["GET", "/dashboard"],
  title: "仪表盘",
  async render(ctx) {
    const d = await ctx.api<Dashboard>("GET", "/dashboard");
    return html`
${d.suppliers
  ? html`<h2>电商同步状况（近 24 小时）</h2>
<table><thead><tr><th>电商</th><th>状态</th><th>最近一次同步</th><th>积压消息</th><th>消息数</th><th>失败率</th></tr></thead><tbody>
${d.suppliers.map((s) => html`<tr>
  <td><strong>${s.code}</strong> ${s.name}</td>
  <td>${badge(s.status === "active" ? "启用" : "停用", statusTone(s.status))}</td>
  <td>${s.lastRun ? html`<a href="/admin/sync/runs/${s.lastRun.id}">${beijing(s.lastRun.startedAt)}</a> ${badge(s.lastRun.status, statusTone(s.lastRun.status))}` : "尚未同步"}</td>
  <td class="num">${s.backlog}</td>
  <td class="num"><a href="${href("/admin/sync/messages", { supplier: s.code })}">${s.messages24h}</a></td>
  <td class="num">${badge(`${(s.failureRate24h * 100).toFixed(1)}%`, s.failureRate24h > 0.05 ? "bad" : s.failureRate24h > 0 ? "warn" : "ok")}</td>
</tr>`)}
</tbody></table>`
  : ""}
${d.orders
  ? html`<h2>订单</h2><div class="cards">${Object.entries(d.orders).map(([state, n]) => html`<div class="card"><div class="muted">${ORDER_STATE_NAMES[state] ?? state}</div><div class="stat"><a href="${href("/admin/orders", { state })}">${n}</a></div></div>`)}</div>`
  : ""}`;
  },
};
