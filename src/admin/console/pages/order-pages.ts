import type { AnswerCheck } from "../../../orders/order-answer-check.js";
import type { OrderDetail, OrderView, PushPauseView } from "../../../orders/order-service.js";
import type { OrderFormProduct, OrderFormStock } from "../../api/order-form-routes.js";
import type { SupplierOrderView } from "../../api/order-routes.js";
import type { ConsolePage } from "../console-kit.js";
import { type Html, beijing, href, html, yuan } from "../html.js";
import { LABELS, zh } from "../labels.js";
import { badge, csrfField, emptyRow, statusTone } from "../layout.js";

export const ORDER_STATE_NAMES: Record<string, string> = {
  created: "待推送",
  submitting: "提交中",
  submitted: "已提交",
  confirming: "确认中",
  confirmed: "已确认",
  failed: "失败",
};
const PAYMENTS: Record<string, string> = { "1": "货到付款", "2": "集中支付", "3": "在线支付", "4": "支票", "5": "账期支付", "6": "先款后货" };
const INVOICES: Record<string, string> = { "1": "普通发票", "2": "增值税专用发票", "3": "电子发票" };
const AREA_FIELDS = new Set(["province", "city", "county"]);
const OPEN = new Set(["created", "submitting", "submitted", "confirming"]);

const FAILURE_KINDS: Record<string, string> = {
  refused: "电商拒绝（业务原因，终局）",
  gave_up: "结果未知，已放弃（可重新推送）",
  mismatch: "电商应答与所发订单不符（未确认，待人工决定）",
};
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
<table><thead><tr><th scope="col">项目</th><th scope="col">本方数量</th><th scope="col">电商数量</th><th scope="col">本方价格（元）</th><th scope="col">电商价格（元）</th></tr></thead><tbody>
${skus.map((sku) => html`<tr><td class="mono">${sku}</td><td class="num">${ours.get(sku)?.num ?? "—"}</td><td class="num">${theirs.get(sku)?.num ?? "—"}</td><td class="num">${ours.has(sku) ? fen(ours.get(sku)?.priceFen ?? null) : "—"}</td><td class="num">${theirs.has(sku) ? fen(theirs.get(sku)?.priceFen ?? null) : "—"}</td></tr>`)}
<tr><td>商品金额</td><td></td><td></td><td class="num">${fen(c.ours.goodsFen)}</td><td class="num">${fen(c.theirs.goodsFen)}</td></tr>
<tr><td>运费</td><td></td><td></td><td class="num">${fen(c.ours.freightFen)}</td><td class="num">${fen(c.theirs.freightFen)}</td></tr>
</tbody></table>`;
}

type FormData = {
  suppliers: Array<{ code: string; name: string }>;
  provinces: Array<{ code: string; name: string }>;
  cities: Array<{ code: string; name: string }>;
  counties: Array<{ code: string; name: string }>;
  products: OrderFormProduct[];
  /** The `province_city_county` whose stock the supplier was asked (S-8); null until a county is chosen. */
  stockArea: string | null;
  stockError: string | null;
};

export const VAT_FIELDS: ReadonlyArray<readonly [string, string]> = [
  ["invoice_name", "收票人"],
  ["invoice_phone", "收票人电话"],
  ["invoice_mobile", "收票人手机"],
  ["invoice_bank", "开户银行"],
  ["invoice_bank_code", "银行账号"],
  ["invoice_address", "注册地址"],
  ["invoice_receipt_address", "收票地址"],
];

/** The consignee's area by name, its GB/T 2260 codes beside it (as S-11 sends them). */
const areaText = (o: Pick<OrderView, "area" | "areaNames">): Html =>
  html`${[o.areaNames.province, o.areaNames.city, o.areaNames.county].map((n, i) => n ?? [o.area.province, o.area.city, o.area.county][i]).join(" ")} <span class="mono muted">${o.area.province} / ${o.area.city} / ${o.area.county}</span>`;

/** S-8 as the contract gives it: `num` available (-1 unknown, then `desc` 有货/无货 is the answer). */
const stockText = (s: OrderFormStock) => (s.num < 0 ? s.description || "未知" : `${s.num}（${s.description}）`);

/** Products found for the order form, each with a button that adds it to the items (a round trip without a script). */
function candidates(lookup: Pick<FormData, "products" | "stockArea" | "stockError">): Html {
  const { products, stockArea, stockError } = lookup;
  if (products.length === 0) return html``;
  const stockCell = (p: OrderFormProduct) => {
    if (!p.orderable) return "—";
    if (stockArea === null) return "先选区县";
    if (stockError !== null) return badge("查询失败", "bad");
    return p.stock ? stockText(p.stock) : "电商未应答";
  };
  return html`${stockError !== null ? html`<p class="field-error" role="status">库存查询失败：<code>${stockError}</code></p>` : ""}
<table><thead><tr><th scope="col">SKU</th><th scope="col">名称</th><th scope="col">协议价（元）</th><th scope="col">上下架</th><th scope="col">校验</th><th scope="col">所选区县库存</th><th scope="col">操作</th></tr></thead><tbody>
${products.map(
  (p) => html`<tr><td class="mono">${p.sku}</td><td>${p.name ?? ""}</td><td class="num">${yuan(p.priceFen)}</td>
  <td>${p.shelfState === 1 ? badge("上架", "ok") : p.shelfState === 0 ? badge("下架", "bad") : "未知"}</td>
  <td>${p.status === "active" ? "" : badge(LABELS.productStatus[p.status as keyof typeof LABELS.productStatus] ?? p.status, "bad")}</td>
  <td>${stockCell(p)}</td>
  <td>${p.orderable ? html`<button type="submit" formaction="/admin/orders/new" formnovalidate name="add" value="${p.sku}" class="secondary" data-add-sku="${p.sku}">加入</button>` : html`<span class="muted">不可下单</span>`}</td></tr>`,
)}
</tbody></table>`;
}

/**
 * A supplier user's orders hold what S-11 sent it and when it was submitted and confirmed (the
 * admin API's supplier view): no state machine, timeline, pushes or staff names.
 */
function supplierOrderList(orders: SupplierOrderView[], nextBefore: string | null): Html {
  return html`<table><thead><tr><th scope="col">订单号</th><th scope="col">电商订单号</th><th scope="col">金额（元）</th><th scope="col">创建</th><th scope="col">提交</th><th scope="col">确认</th></tr></thead><tbody>
${orders.map(
  (o) => html`<tr><td class="mono"><a href="/admin/orders/${o.yggc_order}">${o.yggc_order}</a></td><td class="mono">${o.mall_order_id ?? ""}</td>
  <td class="num">${yuan(o.orderPriceFen)}</td><td>${beijing(o.createdAt)}</td><td>${o.submittedAt === null ? "—" : beijing(o.submittedAt)}</td><td>${o.confirmedAt === null ? "—" : beijing(o.confirmedAt)}</td></tr>`,
)}
${emptyRow(orders, 6, "没有符合条件的订单。")}
</tbody></table>
${nextBefore ? html`<p class="pager"><a href="${href("/admin/orders", { before: nextBefore })}">下一页 →</a></p>` : ""}`;
}

function supplierOrderDetail(o: SupplierOrderView): Html {
  return html`<div class="card"><dl class="kv">
  <dt>电商订单号</dt><dd class="mono">${o.mall_order_id ?? "—"}</dd>
  <dt>金额</dt><dd>运费 ${yuan(o.freightFen)}，合计 <strong>${yuan(o.orderPriceFen)}</strong> 元</dd>
  <dt>地区</dt><dd>${areaText(o)}</dd>
  <dt>采购单位</dt><dd>${o.dep_name ?? "—"}</dd>
  <dt>发票</dt><dd>${INVOICES[String(o.invoice.type)] ?? o.invoice.type} · ${o.invoice.title}</dd>
  <dt>支付</dt><dd>${PAYMENTS[String(o.payment)] ?? o.payment}</dd>
  ${o.remark ? html`<dt>备注</dt><dd>${o.remark}</dd>` : ""}
  <dt>创建</dt><dd>${beijing(o.createdAt)}</dd>
  <dt>提交</dt><dd>${o.submittedAt === null ? "—" : beijing(o.submittedAt)}</dd>
  <dt>确认</dt><dd>${o.confirmedAt === null ? "—" : beijing(o.confirmedAt)}</dd>
</dl></div>
<h2>商品</h2>
<table><thead><tr><th scope="col">SKU</th><th scope="col">数量</th><th scope="col">协议价（元）</th></tr></thead><tbody>${o.sku.map((l) => html`<tr><td class="mono">${l.sku}</td><td class="num">${l.num}</td><td class="num">${yuan(l.priceFen)}</td></tr>`)}</tbody></table>`;
}

export const orderPages: ConsolePage[] = [
  {
    path: "/orders",
    primary: ["GET", "/orders"],
    title: "订单",
    async render(ctx) {
      const query: Record<string, string> = { limit: "50" };
      for (const k of ["state", "supplier", "before"]) if (ctx.query[k]) query[k] = ctx.query[k] ?? "";
      if (ctx.user.role === "supplier") {
        const { orders, nextBefore } = await ctx.api<{ orders: SupplierOrderView[]; nextBefore: string | null }>("GET", "/orders", { query });
        const download = ctx.may("GET", "/exports/orders") ? html`<p>导出 CSV：<a href="/admin/api/exports/orders" download>订单</a></p>` : "";
        return html`${download}${supplierOrderList(orders, nextBefore)}`;
      }
      const { orders, nextBefore } = await ctx.api<{ orders: OrderView[]; nextBefore: string | null }>("GET", "/orders", { query });
      const { pauses } = ctx.may("GET", "/order-pushes") ? await ctx.api<{ pauses: PushPauseView[] }>("GET", "/order-pushes") : { pauses: [] };
      return html`${pauses.map((p) => pauseNotice(ctx, p))}${ctx.may("POST", "/orders") ? html`<p><a href="/admin/orders/new">＋ 新建订单</a></p>` : ""}
<form class="filters" method="get">
  <label>状态<select name="state"><option value="">全部</option>${Object.entries(ORDER_STATE_NAMES).map(([s, n]) => html`<option value="${s}" ${ctx.query.state === s ? html`selected` : ""}>${n}</option>`)}</select></label>
  <label>电商代码<input name="supplier" value="${ctx.query.supplier ?? ""}" size="8"></label><button type="submit">筛选</button>
</form>
${ctx.may("GET", "/exports/orders") ? html`<p>导出 CSV：<a href="${href("/admin/api/exports/orders", { state: ctx.query.state, supplier: ctx.query.supplier })}" download>订单</a></p>` : ""}
<table><thead><tr><th scope="col">订单号</th><th scope="col">电商</th><th scope="col">状态</th><th scope="col">电商订单号</th><th scope="col">金额（元）</th><th scope="col">本步骤推送尝试</th><th scope="col">创建</th><th scope="col">创建人</th></tr></thead><tbody>
${orders.map(
  (
    o,
  ) => html`<tr><td class="mono"><a href="/admin/orders/${o.yggc_order}">${o.yggc_order}</a></td><td class="mono">${o.supplier}</td><td>${stateBadge(o.state)}</td><td class="mono">${o.mall_order_id ?? ""}</td>
  <td class="num">${yuan(o.orderPriceFen)}</td><td class="num">${o.pushAttempts}</td><td>${beijing(o.createdAt)}</td><td class="mono">${o.createdBy}</td></tr>`,
)}
${emptyRow(orders, 8, "没有符合条件的订单。")}
</tbody></table>
${nextBefore ? html`<p class="pager"><a href="${href("/admin/orders", { state: ctx.query.state, supplier: ctx.query.supplier, before: nextBefore })}">下一页 →</a></p>` : ""}`;
    },
  },
  {
    path: "/orders/new",
    primary: ["POST", "/orders"],
    title: "新建订单",
    refresh: true,
    async render(ctx) {
      const v = (name: string) => ctx.form[name] ?? ctx.query[name] ?? "";
      const err = (name: string) => ctx.fieldErrors[name];
      const invalid = (name: string) => (err(name) ? html`aria-invalid="true" aria-describedby="err-${name}"` : "");
      const errorNote = (name: string) => (err(name) ? html`<span class="field-error" id="err-${name}">${err(name)}</span>` : "");
      const field = (
        name: string,
        label: string,
        attrs: { required?: boolean; size?: number; placeholder?: string; type?: string; autocomplete?: string } = {},
      ) =>
        html`<label for="f-${name}">${label}${attrs.required ? " *" : ""}<input id="f-${name}" name="${name}" type="${attrs.type ?? "text"}" value="${v(name)}" ${attrs.required ? html`required` : ""} size="${attrs.size ?? 20}" placeholder="${attrs.placeholder ?? ""}" autocomplete="${attrs.autocomplete ?? "off"}" ${invalid(name)}>${errorNote(name)}</label>`;
      const select = (name: string, label: string, options: ReadonlyArray<{ value: string; label: string }>, required = false, empty = "请选择") =>
        html`<label for="f-${name}">${label}${required ? " *" : ""}<select id="f-${name}" name="${name}" ${required ? html`required` : ""} ${invalid(name)}><option value="">${empty}</option>${options.map((o) => html`<option value="${o.value}" ${o.value === v(name) ? html`selected` : ""}>${o.label}</option>`)}</select>${errorNote(name)}</label>`;

      // Only well-formed choices go to the lookup: a mistyped area code is the submit's field error, not a broken form.
      const lookupQuery: Record<string, string> = {};
      for (const k of ["supplier", "q", "province", "city", "county"] as const) {
        const x = v(k).trim();
        if (x !== "" && (!AREA_FIELDS.has(k) || /^\d{6}$/.test(x)) && x.length <= 64) lookupQuery[k] = x;
      }
      const lookup = await ctx.api<FormData>("GET", "/order-form", { query: lookupQuery });
      let items = v("items");
      const add = ctx.form.add;
      if (add && !items.split(/\r?\n/).some((l) => l.trim().split(/\s+/)[0] === add)) items = `${items.trim()}${items.trim() ? "\n" : ""}${add} 1`;
      const refresh = (label: string, name = "refresh", value = "1", secondary = true) =>
        html`<button type="submit" formaction="/admin/orders/new" formnovalidate name="${name}" value="${value}" class="${secondary ? "secondary" : ""}">${label}</button>`;

      return html`<form class="card" method="post" action="/admin/orders" id="order-form" novalidate>${csrfField(ctx.csrfToken)}
<fieldset><legend>电商与商品</legend>
<div class="filters">${select(
        "supplier",
        "电商",
        lookup.suppliers.map((s) => ({ value: s.code, label: `${s.code} ${s.name}` })),
        true,
      )}
<label for="f-q">按 SKU 或名称查找商品<input id="f-q" name="q" value="${v("q")}" size="24" autocomplete="off" data-order-search></label>
${refresh("查找", "search")}</div>
<div id="order-candidates" aria-live="polite">${candidates(lookup)}</div>
<label for="f-items">商品（每行：SKU 数量） *<textarea id="f-items" name="items" rows="4" cols="40" required placeholder="100001 2" ${invalid("items")}>${items}</textarea>${errorNote("items")}</label>
</fieldset>
<fieldset><legend>收货人</legend><div class="filters">
${field("name", "姓名", { required: true, autocomplete: "name" })}${field("mobile", "手机", { type: "tel", autocomplete: "tel" })}${field("phone", "座机", { type: "tel" })}
${select(
  "province",
  "省",
  lookup.provinces.map((a) => ({ value: a.code, label: a.name })),
  true,
)}
${select(
  "city",
  "市",
  lookup.cities.map((a) => ({ value: a.code, label: a.name })),
  true,
  lookup.cities.length > 0 ? "请选择" : "先选省",
)}
${select(
  "county",
  "区县",
  lookup.counties.map((a) => ({ value: a.code, label: a.name })),
  true,
  lookup.counties.length > 0 ? "请选择" : "先选市",
)}
<span data-no-script>${refresh("更新地区与库存")}</span>
${field("address", "详细地址", { required: true, size: 40, autocomplete: "street-address" })}${field("zip", "邮编", { size: 8 })}${field("email", "电子邮件", { type: "email" })}${field("dep_name", "采购单位")}
</div></fieldset>
<fieldset><legend>发票与支付</legend><div class="filters">
${field("invoice_title", "发票抬头", { required: true, size: 30 })}
${select(
  "invoice_type",
  "发票类型",
  Object.entries(INVOICES).map(([value, label]) => ({ value, label })),
  true,
)}
${field("invoice_org_code", "纳税人识别号", { required: true })}
${select(
  "payment",
  "支付方式",
  Object.entries(PAYMENTS).map(([value, label]) => ({ value, label })),
  true,
)}
${field("remark", "备注", { size: 40 })}
</div>
<details ${v("invoice_type") === "2" || VAT_FIELDS.some(([n]) => err(n)) ? html`open` : ""}><summary>增值税专用发票信息（发票类型为增值税专用发票时必填）</summary><div class="filters">
${VAT_FIELDS.map(([name, label]) => field(name, label))}
</div></details></fieldset>
${ctx.fieldErrors._ ? html`<p class="field-error">${ctx.fieldErrors._}</p>` : ""}
<p><button type="submit">创建订单</button> <span class="muted">价格取自商品库的协议价；库存向电商实时查询。</span></p>
</form>`;
    },
  },
  {
    path: "/orders/:yggcOrder",
    primary: ["GET", "/orders/:yggcOrder"],
    title: (ctx) => `订单 ${ctx.params.yggcOrder ?? ""}`,
    async render(ctx) {
      const params = { yggcOrder: ctx.params.yggcOrder ?? "" };
      if (ctx.user.role === "supplier") {
        const { order } = await ctx.api<{ order: SupplierOrderView }>("GET", "/orders/:yggcOrder", { params });
        return supplierOrderDetail(order);
      }
      const { order: o } = await ctx.api<{ order: OrderDetail }>("GET", "/orders/:yggcOrder", { params });
      const action = (verb: "push" | "retry", label: string) =>
        html`<form class="inline" method="post" action="/admin/orders/${o.yggc_order}/${verb}">${csrfField(ctx.csrfToken)}<button type="submit">${label}</button></form> `;
      return html`<div class="card"><dl class="kv">
  <dt>电商</dt><dd class="mono">${o.supplier}</dd><dt>状态</dt><dd>${stateBadge(o.state)}</dd>
  <dt>电商订单号</dt><dd class="mono">${o.mall_order_id ?? "—"}</dd>
  <dt>金额</dt><dd>商品 ${yuan(o.goodsFen)} + 运费 ${yuan(o.freightFen)} = <strong>${yuan(o.orderPriceFen)}</strong> 元</dd>
  <dt>地区</dt><dd>${areaText(o)}</dd>
  <dt>发票</dt><dd>${INVOICES[String(o.invoice.type)] ?? o.invoice.type} · ${o.invoice.title}</dd>
  <dt>支付</dt><dd>${PAYMENTS[String(o.payment)] ?? o.payment}</dd>
  ${o.failure ? html`<dt>失败</dt><dd>${badge(FAILURE_KINDS[o.failure.kind ?? ""] ?? "失败", "bad")} ${o.failure.code || o.failure.reason ? html`<code>${[o.failure.code, o.failure.reason].filter(Boolean).join(" ")}</code>` : ""}</dd>` : ""}
  <dt>本步骤推送尝试</dt><dd>${o.pushAttempts} 次${OPEN.has(o.state) ? html`，下次 ${beijing(o.nextAttemptAt)}` : ""}</dd>
</dl>
<p>${OPEN.has(o.state) && !o.pushPause ? action("push", "立即推送") : ""}${o.state === "failed" && RETRYABLE.has(o.failure?.kind ?? "") ? action("retry", "重新推送（同一 yggc_order）") : ""}</p></div>
${o.pushPause ? pauseNotice(ctx, o.pushPause) : ""}
${o.answerCheck ? answerCheckTable(o.answerCheck) : ""}
<h2>商品</h2>
<table><thead><tr><th scope="col">SKU</th><th scope="col">名称</th><th scope="col">数量</th><th scope="col">协议价（元）</th></tr></thead><tbody>${o.lines.map((l) => html`<tr><td class="mono">${l.sku}</td><td>${l.name ?? ""}</td><td class="num">${l.num}</td><td class="num">${yuan(l.priceFen)}</td></tr>`)}</tbody></table>
${o.priceCheck ? html`<h2>价格核对</h2><table><thead><tr><th scope="col">SKU</th><th scope="col">商品库（元）</th><th scope="col">电商（元）</th></tr></thead><tbody>${o.priceCheck.map((c) => html`<tr><td class="mono">${c.sku}</td><td class="num">${yuan(c.storedPriceFen)}</td><td class="num">${yuan(c.supplierPriceFen)}</td></tr>`)}</tbody></table>` : ""}
<h2>时间线</h2>
<table class="timeline"><thead><tr><th scope="col">时间</th><th scope="col">操作人</th><th scope="col">步骤</th><th scope="col">状态变化</th><th scope="col">电商应答</th><th scope="col">耗时</th></tr></thead><tbody>
${o.timeline.map(
  (
    e,
  ) => html`<tr><td>${beijing(e.at)}</td><td class="mono">${e.actor}</td><td>${zh("step", e.step)}</td><td>${e.fromState ? (ORDER_STATE_NAMES[e.fromState] ?? e.fromState) : "—"} → ${ORDER_STATE_NAMES[e.toState] ?? e.toState}</td>
  <td>${e.errorKind ? html`${zh("callOutcome", e.errorKind)} ` : ""}${e.supplierCode === 0 ? html`${badge("成功", "ok")} ${e.supplierDesc ?? ""}` : [e.supplierCode, e.supplierDesc].some((x) => x !== null && x !== undefined) ? html`<code>${[e.supplierCode, e.supplierDesc].filter((x) => x !== null && x !== undefined).join(" ")}</code>` : ""}${e.mallOrderId ? html` 电商订单号 <span class="mono">${e.mallOrderId}</span>` : ""}</td><td class="num">${e.durationMs === null ? "" : `${e.durationMs} ms`}</td></tr>`,
)}
</tbody></table>`;
    },
  },
];
