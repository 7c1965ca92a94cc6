import type { ConsolePage } from "../console-kit.js";
import { type Html, beijing, href, html, yuan } from "../html.js";
import { badge, csrfField, statusTone } from "../layout.js";

type Reason = { code?: number; field?: string; message?: string };
type ProductRow = { id: number; supplier: string; sku: string; status: string; name: string | null; interfaceCode: string | null; brandName: string | null; shelfState: number | null; priceFen: number | null; mallPriceFen: number | null; listingState: string; reasons: Reason[]; updatedAt: number };

export const STATUS_NAMES: Record<string, string> = { active: "已校验", rejected: "未通过", delisted: "已撤出" };
export const LISTING_NAMES: Record<string, string> = { none: "未申请", applied: "待审核", approved: "已批准上架", refused: "已拒绝" };

const reasonList = (reasons: readonly Reason[]) =>
  reasons.length === 0 ? "" : html`<ul class="reasons">${reasons.map((r) => html`<li><code>${r.code ?? ""}</code> ${r.field ?? ""} ${r.message ?? ""}</li>`)}</ul>`;

function listingForms(csrf: string, p: { supplier: string; sku: string; status: string; listingState: string }): Html {
  const base = `/admin/products/${encodeURIComponent(p.supplier)}/${encodeURIComponent(p.sku)}/listing`;
  const button = (verb: string, label: string, secondary = false) =>
    html`<form class="inline" method="post" action="${base}/${verb}">${csrfField(csrf)}<button type="submit" class="${secondary ? "secondary" : ""}">${label}</button></form> `;
  if (p.listingState === "applied") return html`${button("approve", "批准上架")}${button("refuse", "拒绝", true)}`;
  if (p.status === "active" && (p.listingState === "none" || p.listingState === "refused")) return button("apply", "申请上架");
  return html``;
}

export const productPages: ConsolePage[] = [
  {
    path: "/products",
    primary: ["GET", "/products"],
    title: "商品",
    async render(ctx) {
      const keys = ["supplier", "sku", "name", "catalog", "brand", "status", "listingState", "afterId"] as const;
      const query: Record<string, string> = { limit: "100" };
      for (const k of keys) if (ctx.query[k]) query[k] = ctx.query[k];
      const { products, nextAfterId } = await ctx.api<{ products: ProductRow[]; nextAfterId: number | null }>("GET", "/products", { query });
      const canList = ctx.may("POST", "/products/:supplier/:sku/listing/approve");
      const v = (k: string) => ctx.query[k] ?? "";
      return html`<form class="filters" method="get">
  <label>电商代码<input name="supplier" value="${v("supplier")}" size="8"></label>
  <label>SKU<input name="sku" value="${v("sku")}" size="12"></label>
  <label>名称<input name="name" value="${v("name")}"></label>
  <label>品目<input name="catalog" value="${v("catalog")}" size="10"></label>
  <label>品牌<input name="brand" value="${v("brand")}" size="10"></label>
  <label>状态<select name="status"><option value="">全部</option>${Object.entries(STATUS_NAMES).map(([s, n]) => html`<option value="${s}" ${v("status") === s ? html`selected` : ""}>${n}</option>`)}</select></label>
  <label>上架申请<select name="listingState"><option value="">全部</option>${Object.entries(LISTING_NAMES).map(([s, n]) => html`<option value="${s}" ${v("listingState") === s ? html`selected` : ""}>${n}</option>`)}</select></label>
  <button type="submit">查询</button>
</form>
<table><thead><tr><th>电商</th><th>SKU</th><th>名称</th><th>品目</th><th>品牌</th><th>状态</th><th>上下架</th><th>协议价</th><th>商城价</th><th>上架申请</th><th>未通过原因</th>${canList ? html`<th>操作</th>` : ""}</tr></thead><tbody>
${products.map((p) => html`<tr>
  <td>${p.supplier}</td><td class="mono"><a href="/admin/products/${encodeURIComponent(p.supplier)}/${encodeURIComponent(p.sku)}">${p.sku}</a></td><td>${p.name ?? ""}</td>
  <td class="mono">${p.interfaceCode ?? ""}</td><td>${p.brandName ?? ""}</td><td>${badge(STATUS_NAMES[p.status] ?? p.status, statusTone(p.status))}</td>
  <td>${p.shelfState === 1 ? "上架" : "下架"}</td><td class="num">${yuan(p.priceFen)}</td><td class="num">${yuan(p.mallPriceFen)}</td>
  <td>${badge(LISTING_NAMES[p.listingState] ?? p.listingState, p.listingState === "approved" ? "ok" : p.listingState === "refused" ? "bad" : p.listingState === "applied" ? "warn" : "")}</td>
  <td>${reasonList(p.reasons)}</td>
  ${canList ? html`<td>${listingForms(ctx.csrfToken, p)}</td>` : ""}
</tr>`)}
</tbody></table>
${nextAfterId ? html`<p class="pager"><a href="${href("/admin/products", { ...query, limit: undefined, afterId: nextAfterId })}">下一页 →</a></p>` : ""}`;
    },
  },
  {
    path: "/products/:supplier/:sku",
    primary: ["GET", "/products/:supplier/:sku"],
    title: (ctx) => `商品 ${ctx.params.sku ?? ""}`,
    async render(ctx) {
      const { product: p, stock, priceHistory } = await ctx.api<{
        product: ProductRow & { detail: Record<string, unknown> | null; url: string | null; model: string | null; catalogId: string | null };
        stock: Array<{ area: string; num: number; description: string; checkedAt: number }>;
        priceHistory: Array<{ priceFen: number; mallPriceFen: number; at: number; runId: string | null }>;
      }>("GET", "/products/:supplier/:sku", { params: { supplier: ctx.params.supplier ?? "", sku: ctx.params.sku ?? "" } });
      return html`<div class="card"><dl class="kv">
  <dt>电商</dt><dd>${p.supplier}</dd><dt>名称</dt><dd>${p.name ?? ""}</dd><dt>型号</dt><dd>${p.model ?? ""}</dd>
  <dt>品目</dt><dd class="mono">${p.catalogId ?? ""} / ${p.interfaceCode ?? ""}</dd><dt>品牌</dt><dd>${p.brandName ?? ""}</dd>
  <dt>商品链接</dt><dd class="mono">${p.url ?? ""}</dd>
  <dt>状态</dt><dd>${badge(STATUS_NAMES[p.status] ?? p.status, statusTone(p.status))} ${p.shelfState === 1 ? "上架" : "下架"}</dd>
  <dt>协议价 / 商城价</dt><dd>${yuan(p.priceFen)} / ${yuan(p.mallPriceFen)} 元</dd>
  <dt>上架申请</dt><dd>${LISTING_NAMES[p.listingState] ?? p.listingState} ${ctx.may("POST", "/products/:supplier/:sku/listing/approve") ? listingForms(ctx.csrfToken, p) : ""}</dd>
  <dt>未通过原因</dt><dd>${p.reasons.length > 0 ? reasonList(p.reasons) : "无"}</dd>
  <dt>更新时间</dt><dd>${beijing(p.updatedAt)}</dd>
</dl></div>
<h2>库存</h2>
<table><thead><tr><th>地区</th><th>数量</th><th>说明</th><th>查询时间</th></tr></thead><tbody>${stock.map((s) => html`<tr><td class="mono">${s.area}</td><td class="num">${s.num}</td><td>${s.description}</td><td>${beijing(s.checkedAt)}</td></tr>`)}</tbody></table>
<h2>价格历史</h2>
<table><thead><tr><th>时间</th><th>协议价</th><th>商城价</th><th>批次</th></tr></thead><tbody>${priceHistory.map((h) => html`<tr><td>${beijing(h.at)}</td><td class="num">${yuan(h.priceFen)}</td><td class="num">${yuan(h.mallPriceFen)}</td><td class="mono">${h.runId ?? ""}</td></tr>`)}</tbody></table>`;
    },
  },
];
