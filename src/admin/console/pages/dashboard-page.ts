import type { ConsolePage } from "../console-kit.js";
import { beijing, href, html } from "../html.js";
import { zh, zhBadge } from "../labels.js";
import { badge } from "../layout.js";
import { MARK_NAMES, gateBadge } from "./conformance-pages.js";

type Dashboard = {
  suppliers?: Array<{
    code: string;
    name: string;
    status: string;
    lastRun: { id: string; status: string; startedAt: number } | null;
    backlog: number;
    messages24h: number;
    failureRate24h: number;
    trustMark: { state: string | null; expiresAt: string | null; gate: { open: boolean; via: string | null; reason: string | null } };
  }>;
  orders?: Record<string, number>;
};

export const dashboardPage: ConsolePage = {
  path: "/",
  primary: ["GET", "/dashboard"],
  title: "仪表盘",
  async render(ctx) {
    const d = await ctx.api<Dashboard>("GET", "/dashboard");
    return html`${
      ctx.user.role === "supplier"
        ? html`<div class="card"><p>在这里查看本单位商品的校验结果与未通过原因、申请上架并跟踪审核、查看同步消息与接口调用，以及收到的订单。</p>
<p><a href="/admin/products?status=rejected">未通过校验的商品</a> · <a href="/admin/products?status=active&amp;listingState=none">可申请上架的商品</a> · <a href="/admin/sync/messages">同步消息</a> · <a href="/admin/orders">订单</a> · <a href="/admin/charts">图表</a></p></div>`
        : html`<p><a href="/admin/charts">查看图表 →</a></p>`
    }
${
  d.suppliers
    ? html`<h2>电商同步状况（近 24 小时）</h2>
<table><thead><tr><th scope="col">电商</th><th scope="col">状态</th><th scope="col">最近一次同步</th><th scope="col">积压消息</th><th scope="col">消息数</th><th scope="col">失败率</th><th scope="col">信任标识</th><th scope="col">生产准入</th></tr></thead><tbody>
${d.suppliers.map(
  (s) => html`<tr>
  <td><strong>${s.code}</strong> ${s.name}</td>
  <td>${zhBadge("supplierStatus", s.status)}</td>
  <td>${s.lastRun ? html`<a href="/admin/sync/runs/${s.lastRun.id}">${beijing(s.lastRun.startedAt)}</a> ${zhBadge("runStatus", s.lastRun.status)}` : "尚未同步"}</td>
  <td class="num">${s.backlog}</td>
  <td class="num"><a href="${href("/admin/sync/messages", { supplier: s.code })}">${s.messages24h}</a></td>
  <td class="num">${badge(`${(s.failureRate24h * 100).toFixed(1)}%`, s.failureRate24h > 0.05 ? "bad" : s.failureRate24h > 0 ? "warn" : "ok")}</td>
  <td>${s.trustMark.state ? badge(MARK_NAMES[s.trustMark.state] ?? s.trustMark.state, s.trustMark.state === "valid" ? "ok" : "bad") : "无"}</td>
  <td>${gateBadge(s.trustMark.gate)}</td>
</tr>`,
)}
</tbody></table>`
    : ""
}
${
  d.orders
    ? html`<h2>订单</h2><div class="cards">${Object.entries(d.orders).map(([state, n]) => html`<div class="card"><div class="muted">${zh("orderState", state)}</div><div class="stat"><a href="${href("/admin/orders", { state })}">${n}</a></div></div>`)}</div>`
    : ""
}`;
  },
};
