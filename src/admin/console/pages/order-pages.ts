import type { AnswerCheck } from "../../../orders/order-answer-check.js";
import type { OrderDetail, OrderView, PushPauseView } from "../../../orders/order-service.js";
import type { ConsolePage } from "../console-kit.js";
import { beijing, href, html, yuan } from "../html.js";
import { badge, csrfField, statusTone } from "../layout.js";

export const ORDER_STATE_NAMES: Record<string, string> = { created: "待推送", submitting: "提交中", submitted: "已提交", confirming: "确认中", confirmed: "已确认", failed: "失败" };
const PAYMENTS: Record<string, string> = { "1": "货到付款", "2": "集中支付", "3": "在线支付", "4": "支票", "5": "账期支付", "6": "先款后货" };
const INVOICES: Record<string, string> = { "1": "普通发票", "2": "增值税专用发票", "3": "电子发票" };
const OPEN = new Set(["created", "submitting", "submitted", "confirming"]);

const FAILURE_KINDS: Record<string, string> = { refused: "电商拒绝（业务原因，终局）", gave_up: "结果未知，已放弃（可重新推送）", mismatch: "电商应答与所发订单不符（未确认，待人工决定）" };
/** Failures staff may push again with the same yggc_order; a business refusal is final. */
const RETRYABLE = new Set(["gave_up", "mismatch"]);

const stateBadge = (s: string) => badge(ORDER_STATE_NAMES[s] ?? s, statusTone(s));

/** A supplier whose order pushes are paused: why, since when, and (for admins) the resume button. */
export const pauseNotice = (ctx: Parameters<ConsolePage["render"]>[0], p: PushPauseView) =>
  html`<div class="card"><p>${badge("推送已暂停", "bad")} 电商 <strong>${p.supplier}</strong> 的订单推送自 ${beijing(p.since)} 起暂停（配置问题，非订单原因）：<span class="mono">${p.code ?? ""} ${p.reason}</span>。修正对接配置后由管理员恢复；等待中的订单不会失败。</p>
${ctx.may("POST", "/order-pushes/:code/resume") ? html`<form class="inline" method="post" action="/admin/order-pushes/${p.supplier}/resume">${csrfField(ctx.csrfToken)}<button type="submit">恢复推送</button></form>` : ""}</div>`;

const fen = (v: number | null) => (v === null ? "?" : yuan(v));
function answerCheckTable(c: AnswerCheck) {
  const skus = [...new Set([...c.ours.lines.map((l) => l.sku), ...c.theirs.lines.map((l) => l.sku)])];
  const ours = new Map(c.ours.lines.map((l) => [l.sku, l]));
  const theirs = new Map(c.theirs.lines.map((l) => [l.sku, l]));
  return html`<h2>电商应答核对（S-11）</h2><p>${c.differences.join("；")}</p>
<table><thead><tr><th>项目</th><th>本方数量</th><th>电商数量</th><th>本方价格（元）</th><th>电商价格（元）</th></tr></thead><tbody>
${skus.map((sku) => html`<tr><td class="mono">${sku}</td><td class="num">${ours.get(sku)?.num ?? "—"}</td><td class="num">${theirs.get(sku)?.num ?? "—"}</td><td class="num">${ours.has(sku) ? fen(ours.get(sku)?.priceFen ?? null) : "—"}</td><td class="num">${theirs.has(sku) ? fen(theirs.get(sku)?.priceFen ?? null) : "—"}</td></tr>`)}
<tr><td>商品金额</td><td></td><td></td><td class="num">${fen(c.ours.goodsFen)}</td><td class="num">${fen(c.theirs.goodsFen)}</td></tr>
<tr><td>运费</td><td></td><td></td><td class="num">${fen(c.ours.freightFen)}</td><td class="num">${fen(c.theirs.freightFen)}</td></tr>
</tbody></table>`;
}

export const orderPages: ConsolePage[] = [
  {
    path: "/orders",
    primary: ["GET", "/orders"],
    title: "订单",
    async render(ctx) {
      const query: Record<string, string> = { limit: "50" };
      for (const k of ["state", "supplier", "before"]) if (ctx.query[k]) query[k] = ctx.query[k] ?? "";
      const { orders, nextBefore } = await ctx.api<{ orders: OrderView[]; nextBefore: string | null }>("GET", "/orders", { query });
      const { pauses } = ctx.may("GET", "/order-pushes") ? await ctx.api<{ pauses: PushPauseView[] }>("GET", "/order-pushes") : { pauses: [] };
      return html`${pauses.map((p) => pauseNotice(ctx, p))}<p><a href="/admin/orders/new">＋ 新建订单</a></p>
<form class="filters" method="get">
  <label>状态<select name="state"><option value="">全部</option>${Object.entries(ORDER_STATE_NAMES).map(([s, n]) => html`<option value="${s}" ${ctx.query.state === s ? html`selected` : ""}>${n}</option>`)}</select></label>
  <label>电商代码<input name="supplier" value="${ctx.query.supplier ?? ""}" size="8"></label><button type="submit">筛选</button>
</form>
<table><thead><tr><th>订单号 yggc_order</th><th>电商</th><th>状态</th><th>电商订单号</th><th>金额（元）</th><th>推送次数</th><th>创建</th><th>创建人</th></tr></thead><tbody>
${orders.map((o) => html`<tr><td class="mono"><a href="/admin/orders/${o.yggc_order}">${o.yggc_order}</a></td><td>${o.supplier}</td><td>${stateBadge(o.state)}</td><td class="mono">${o.mall_order_id ?? ""}</td>
  <td class="num">${yuan(o.orderPriceFen)}</td><td class="num">${o.pushAttempts}</td><td>${beijing(o.createdAt)}</td><td>${o.createdBy}</td></tr>`)}
</tbody></table>
${nextBefore ? html`<p class="pager"><a href="${href("/admin/orders", { state: ctx.query.state, supplier: ctx.query.supplier, before: nextBefore })}">下一页 →</a></p>` : ""}`;
    },
  },
  {
    path: "/orders/new",
    primary: ["POST", "/orders"],
    title: "新建订单",
    render(ctx) {
      const field = (name: string, label: string, attrs: { required?: boolean; size?: number; placeholder?: string } = {}) =>
        html`<label>${label}${attrs.required ? " *" : ""}<input name="${name}" ${attrs.required ? html`required` : ""} size="${attrs.size ?? 20}" placeholder="${attrs.placeholder ?? ""}"></label>`;
      return html`<form class="card" method="post" action="/admin/orders">${csrfField(ctx.csrfToken)}
<div class="grid">${field("supplier", "电商代码", { required: true, size: 8 })}</div>
<label>商品（每行：SKU 数量） *<textarea name="items" rows="4" cols="40" required placeholder="100001 2"></textarea></label>
<h2>收货人</h2><div class="grid" style="display:flex;flex-wrap:wrap;gap:8px 12px">
${field("name", "姓名", { required: true })}${field("mobile", "手机")}${field("phone", "座机")}
${field("province", "省（GB/T 2260）", { required: true, size: 8, placeholder: "120000" })}${field("city", "市", { required: true, size: 8, placeholder: "120100" })}${field("county", "区县", { required: true, size: 8, placeholder: "120101" })}
${field("address", "详细地址", { required: true, size: 40 })}${field("zip", "邮编", { size: 8 })}${field("email", "电子邮件")}${field("dep_name", "采购单位")}
</div>
<h2>发票与支付</h2><div style="display:flex;flex-wrap:wrap;gap:8px 12px">
${field("invoice_title", "发票抬头", { required: true, size: 30 })}
<label>发票类型<select name="invoice_type">${Object.entries(INVOICES).map(([v, n]) => html`<option value="${v}">${n}</option>`)}</select></label>
${field("invoice_org_code", "纳税人识别号", { required: true })}
<label>支付方式<select name="payment">${Object.entries(PAYMENTS).map(([v, n]) => html`<option value="${v}" ${v === "2" ? html`selected` : ""}>${n}</option>`)}</select></label>
${field("remark", "备注", { size: 40 })}
</div>
<p><button type="submit">创建订单</button> <span class="muted">价格取自商品库的协议价；库存向电商实时查询。</span></p>
</form>`;
    },
  },
  {
    path: "/orders/:yggcOrder",
    primary: ["GET", "/orders/:yggcOrder"],
    title: (ctx) => `订单 ${ctx.params.yggcOrder ?? ""}`,
    async render(ctx) {
      const { order: o } = await ctx.api<{ order: OrderDetail }>("GET", "/orders/:yggcOrder", { params: { yggcOrder: ctx.params.yggcOrder ?? "" } });
      const action = (verb: "push" | "retry", label: string) =>
        html`<form class="inline" method="post" action="/admin/orders/${o.yggc_order}/${verb}">${csrfField(ctx.csrfToken)}<button type="submit">${label}</button></form> `;
      return html`<div class="card"><dl class="kv">
  <dt>电商</dt><dd>${o.supplier}</dd><dt>状态</dt><dd>${stateBadge(o.state)}</dd>
  <dt>电商订单号</dt><dd class="mono">${o.mall_order_id ?? "—"}</dd>
  <dt>金额</dt><dd>商品 ${yuan(o.goodsFen)} + 运费 ${yuan(o.freightFen)} = <strong>${yuan(o.orderPriceFen)}</strong> 元</dd>
  <dt>地区</dt><dd class="mono">${o.area.province} / ${o.area.city} / ${o.area.county}</dd>
  <dt>发票</dt><dd>${INVOICES[String(o.invoice.type)] ?? o.invoice.type} · ${o.invoice.title}</dd>
  <dt>支付</dt><dd>${PAYMENTS[String(o.payment)] ?? o.payment}</dd>
  ${o.failure ? html`<dt>失败</dt><dd>${badge(FAILURE_KINDS[o.failure.kind ?? ""] ?? o.failure.kind ?? "", "bad")} ${o.failure.code ?? ""} ${o.failure.reason ?? ""}</dd>` : ""}
  <dt>推送</dt><dd>${o.pushAttempts} 次${OPEN.has(o.state) ? html`，下次 ${beijing(o.nextAttemptAt)}` : ""}</dd>
</dl>
<p>${OPEN.has(o.state) && !o.pushPause ? action("push", "立即推送") : ""}${o.state === "failed" && RETRYABLE.has(o.failure?.kind ?? "") ? action("retry", "重新推送（同一 yggc_order）") : ""}</p></div>
${o.pushPause ? pauseNotice(ctx, o.pushPause) : ""}
${o.answerCheck ? answerCheckTable(o.answerCheck) : ""}
<h2>商品</h2>
<table><thead><tr><th>SKU</th><th>名称</th><th>数量</th><th>协议价（元）</th></tr></thead><tbody>${o.lines.map((l) => html`<tr><td class="mono">${l.sku}</td><td>${l.name ?? ""}</td><td class="num">${l.num}</td><td class="num">${yuan(l.priceFen)}</td></tr>`)}</tbody></table>
${o.priceCheck ? html`<h2>价格核对</h2><table><thead><tr><th>SKU</th><th>商品库</th><th>电商</th></tr></thead><tbody>${o.priceCheck.map((c) => html`<tr><td class="mono">${c.sku}</td><td class="num">${yuan(c.storedPriceFen)}</td><td class="num">${yuan(c.supplierPriceFen)}</td></tr>`)}</tbody></table>` : ""}
<h2>时间线</h2>
<table class="timeline"><thead><tr><th>时间</th><th>操作人</th><th>步骤</th><th>状态变化</th><th>电商应答</th><th>耗时</th></tr></thead><tbody>
${o.timeline.map((e) => html`<tr><td>${beijing(e.at)}</td><td>${e.actor}</td><td>${e.step}</td><td>${e.fromState ? (ORDER_STATE_NAMES[e.fromState] ?? e.fromState) : "—"} → ${ORDER_STATE_NAMES[e.toState] ?? e.toState}</td>
  <td>${[e.errorKind, e.supplierCode, e.supplierDesc, e.mallOrderId].filter((x) => x !== null && x !== undefined).join(" ")}</td><td class="num">${e.durationMs === null ? "" : `${e.durationMs} ms`}</td></tr>`)}
</tbody></table>`;
    },
  },
];
