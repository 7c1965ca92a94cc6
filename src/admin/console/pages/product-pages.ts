import type { ParameterCheck } from "../../product-review.js";
import type { ConsoleContext, ConsolePage } from "../console-kit.js";
import { type Html, beijing, href, html, yuan } from "../html.js";
import { LABELS, zh, zhBadge } from "../labels.js";
import { badge, csrfField } from "../layout.js";
import { COLORS, lineChart } from "../svg-chart.js";

type Reason = { code?: number; field?: string; message?: string };
type ProductRow = {
  id: number;
  supplier: string;
  sku: string;
  status: string;
  name: string | null;
  interfaceCode: string | null;
  brandName: string | null;
  shelfState: number | null;
  priceFen: number | null;
  mallPriceFen: number | null;
  listingState: string;
  listingReason: string | null;
  listingChangedAt: number | null;
  reasons: Reason[];
  updatedAt: number;
};

export const STATUS_NAMES: Record<string, string> = LABELS.productStatus;
export const LISTING_NAMES: Record<string, string> = LABELS.listing;

const listingTone = (s: string) => (s === "approved" ? "ok" : s === "refused" ? "bad" : s === "applied" ? "warn" : "");

const reasonList = (reasons: readonly Reason[]) =>
  reasons.length === 0
    ? ""
    : html`<ul class="reasons">${reasons.map((r) => html`<li><code>${r.code ?? ""}</code> <span class="mono">${r.field ?? ""}</span> ${r.message ?? ""}</li>`)}</ul>`;

const productHref = (p: { supplier: string; sku: string }) => `/admin/products/${encodeURIComponent(p.supplier)}/${encodeURIComponent(p.sku)}`;

/** 申请上架 for a supplier or an administrator; approve, or refuse with the reason the supplier reads, for an administrator. */
function listingForms(ctx: ConsoleContext, p: { supplier: string; sku: string; status: string; listingState: string }, withReason: boolean): Html {
  const base = `${productHref(p)}/listing`;
  const button = (verb: string, label: string, secondary = false, extra: Html = html``) =>
    html`<form class="inline" method="post" action="${base}/${verb}">${csrfField(ctx.csrfToken)}${extra}<button type="submit" class="${secondary ? "secondary" : ""}">${label}</button></form> `;
  if (p.listingState === "applied" && ctx.may("POST", "/products/:supplier/:sku/listing/approve")) {
    const id = `refuse-${p.sku}`;
    return html`${button("approve", "批准上架")}${
      withReason
        ? button(
            "refuse",
            "拒绝",
            true,
            html`<label for="${id}">拒绝理由（电商可见） *<input id="${id}" name="note" required maxlength="200" size="24"></label>`,
          )
        : html`<a href="${productHref(p)}#listing">拒绝…</a>`
    }`;
  }
  if (p.status === "active" && (p.listingState === "none" || p.listingState === "refused") && ctx.may("POST", "/products/:supplier/:sku/listing/apply"))
    return button("apply", "申请上架");
  return html``;
}

function parameterTable(rows: readonly ParameterCheck[]): Html {
  if (rows.length === 0) return html`<p class="muted">该品目没有标准参数，或品目未知。</p>`;
  return html`<table><thead><tr><th scope="col">参数</th><th scope="col">必填</th><th scope="col">标准取值</th><th scope="col">电商提交</th><th scope="col">校验</th></tr></thead><tbody>
${rows.map(
  (r) => html`<tr>
  <th scope="row">${r.name}${r.unit ? html` <span class="muted">（${r.unit}）</span>` : ""} <span class="muted mono">${r.attributeId}</span></th>
  <td>${r.required ? "必填" : "选填"}</td>
  <td>${r.foreign ? html`<span class="bad-text">品目未定义此参数</span>` : r.allowed.length > 0 ? r.allowed.join("、") : "文本 / 数字"}</td>
  <td>${r.sent.length > 0 ? r.sent.join("、") : html`<span class="muted">未提交</span>`}</td>
  <td>${r.broken === null ? html`<span class="ok-text">✓ 符合</span>` : html`<span class="bad-text">✗</span> ${r.broken.map((b) => html`<div><code>${b.code}</code> ${b.message}</div>`)}`}</td>
</tr>`,
)}
</tbody></table>`;
}

/** An https image on one of the supplier's registered domains (or below one); anything else is listed, not loaded. */
function imageOrigin(url: string, domains: readonly string[]): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  const host = u.hostname.toLowerCase();
  return u.protocol === "https:" && domains.some((d) => host === d || host.endsWith(`.${d}`)) ? u.origin : undefined;
}

export const productPages: ConsolePage[] = [
  {
    path: "/products",
    primary: ["GET", "/products"],
    title: (ctx) => (ctx.user.role === "supplier" ? "我的商品" : "商品"),
    async render(ctx) {
      const keys = ["supplier", "sku", "name", "catalog", "brand", "status", "listingState", "afterId"] as const;
      const query: Record<string, string> = { limit: "100" };
      for (const k of keys) if (ctx.query[k]) query[k] = ctx.query[k];
      const { products, nextAfterId } = await ctx.api<{ products: ProductRow[]; nextAfterId: number | null }>("GET", "/products", { query });
      const supplierUser = ctx.user.role === "supplier";
      const canAct = ctx.may("POST", "/products/:supplier/:sku/listing/approve") || ctx.may("POST", "/products/:supplier/:sku/listing/apply");
      const v = (k: string) => ctx.query[k] ?? "";
      const filters = { ...query, limit: undefined, afterId: undefined };
      return html`<form class="filters" method="get" aria-label="筛选商品">
  ${supplierUser ? "" : html`<label>电商代码<input name="supplier" value="${v("supplier")}" size="8"></label>`}
  <label>SKU<input name="sku" value="${v("sku")}" size="12"></label>
  <label>名称<input name="name" value="${v("name")}"></label>
  <label>品目<input name="catalog" value="${v("catalog")}" size="10"></label>
  <label>品牌<input name="brand" value="${v("brand")}" size="10"></label>
  <label>状态<select name="status"><option value="">全部</option>${Object.entries(STATUS_NAMES).map(([s, n]) => html`<option value="${s}" ${v("status") === s ? html`selected` : ""}>${n}</option>`)}</select></label>
  <label>上架申请<select name="listingState"><option value="">全部</option>${Object.entries(LISTING_NAMES).map(([s, n]) => html`<option value="${s}" ${v("listingState") === s ? html`selected` : ""}>${n}</option>`)}</select></label>
  <button type="submit">查询</button>
</form>
<p>导出 CSV：<a href="${href("/admin/api/exports/products", filters)}" download>商品</a> · <a href="${href("/admin/api/exports/rejections", { ...filters, status: undefined })}" download>未通过原因</a></p>
<table><thead><tr>${supplierUser ? "" : html`<th scope="col">电商</th>`}<th scope="col">SKU</th><th scope="col">名称</th><th scope="col">品目</th><th scope="col">品牌</th><th scope="col">状态</th><th scope="col">上下架</th><th scope="col">协议价</th><th scope="col">商城价</th><th scope="col">上架申请</th><th scope="col">未通过原因</th>${canAct ? html`<th scope="col">操作</th>` : ""}</tr></thead><tbody>
${products.map(
  (p) => html`<tr>
  ${supplierUser ? "" : html`<td class="mono">${p.supplier}</td>`}<td class="mono"><a href="${productHref(p)}">${p.sku}</a></td><td>${p.name ?? ""}</td>
  <td class="mono">${p.interfaceCode ?? ""}</td><td>${p.brandName ?? ""}</td><td>${zhBadge("productStatus", p.status)}</td>
  <td>${p.shelfState === 1 ? "上架" : "下架"}</td><td class="num">${yuan(p.priceFen)}</td><td class="num">${yuan(p.mallPriceFen)}</td>
  <td>${badge(zh("listing", p.listingState), listingTone(p.listingState))}${p.listingState === "refused" && p.listingReason ? html`<div class="muted">理由：${p.listingReason}</div>` : ""}</td>
  <td>${reasonList(p.reasons)}</td>
  ${canAct ? html`<td>${listingForms(ctx, p, false)}</td>` : ""}
</tr>`,
)}
</tbody></table>
${products.length === 0 && !nextAfterId ? html`<p class="muted">没有符合条件的商品。</p>` : ""}
${nextAfterId && products.length < Number(query.limit) ? html`<p class="muted partial">名称检索每页只查找一段，本页之后可能还有符合条件的商品，请点“继续查找”。</p>` : ""}
${nextAfterId ? html`<p class="pager"><a href="${href("/admin/products", { ...query, limit: undefined, afterId: nextAfterId })}">${products.length < Number(query.limit) ? "继续查找 →" : "下一页 →"}</a></p>` : ""}`;
    },
  },
  {
    path: "/products/:supplier/:sku",
    primary: ["GET", "/products/:supplier/:sku"],
    title: (ctx) => `商品 ${ctx.params.sku ?? ""}`,
    async render(ctx) {
      const {
        product: p,
        supplierDomains,
        parameters,
        stock,
        priceHistory,
      } = await ctx.api<{
        product: ProductRow & {
          detail: Record<string, unknown> | null;
          url: string | null;
          model: string | null;
          catalogId: string | null;
          imagePath: string | null;
          images: Array<{ path: string; order: number }> | null;
        };
        supplierDomains: string[];
        parameters: ParameterCheck[];
        stock: Array<{ area: string; areaName: string; num: number; description: string; checkedAt: number }>;
        priceHistory: Array<{
          priceFen: number;
          mallPriceFen: number;
          at: number;
          runId: string | null;
          minPriceFen: number | null;
          maxPriceFen: number | null;
        }>;
      }>("GET", "/products/:supplier/:sku", { params: { supplier: ctx.params.supplier ?? "", sku: ctx.params.sku ?? "" } });
      const images = [
        ...(p.imagePath ? [{ path: p.imagePath, label: "主图" }] : []),
        ...(p.images ?? []).map((i) => ({ path: i.path, label: `图 ${i.order}` })),
      ];
      const origins = new Set<string>();
      const gallery = images.map((img) => {
        const origin = imageOrigin(img.path, supplierDomains);
        if (origin) origins.add(origin);
        return html`<figure>${origin ? html`<img src="${img.path}" alt="${p.name ?? p.sku} ${img.label}" loading="lazy" referrerpolicy="no-referrer">` : html`<div class="muted">不在注册域名（https）下，未加载</div>`}<figcaption>${img.label}：<span class="mono">${img.path}</span></figcaption></figure>`;
      });
      ctx.imageSources.push(...origins);
      const first = priceHistory[0]?.at ?? Date.now();
      const last = priceHistory.at(-1)?.at ?? first;
      return html`<div class="card"><dl class="kv">
  <dt>电商</dt><dd class="mono">${p.supplier}</dd><dt>名称</dt><dd>${p.name ?? ""}</dd><dt>型号</dt><dd>${p.model ?? ""}</dd>
  <dt>品目</dt><dd class="mono">${p.catalogId ?? ""} / ${p.interfaceCode ?? ""}</dd><dt>品牌</dt><dd>${p.brandName ?? ""}</dd>
  <dt>商品链接</dt><dd class="mono">${p.url ?? ""}</dd>
  <dt>状态</dt><dd>${zhBadge("productStatus", p.status)} ${p.shelfState === 1 ? "上架" : "下架"}</dd>
  <dt>协议价 / 商城价</dt><dd>${yuan(p.priceFen)} / ${yuan(p.mallPriceFen)} 元</dd>
  <dt>未通过原因</dt><dd>${p.reasons.length > 0 ? reasonList(p.reasons) : "无"}</dd>
  <dt>更新时间</dt><dd>${beijing(p.updatedAt)}</dd>
</dl></div>
<div class="card" id="listing"><h2>上架申请</h2><dl class="kv">
  <dt>状态</dt><dd>${badge(zh("listing", p.listingState), listingTone(p.listingState))}</dd>
  <dt>审核意见</dt><dd>${p.listingReason ?? "—"}</dd>
  <dt>最近变更</dt><dd>${beijing(p.listingChangedAt)}</dd>
</dl>
<p>${listingForms(ctx, p, true)}</p>
${p.status !== "active" ? html`<p class="muted">只有通过校验的商品可以申请上架；请先按上方原因修正并等待下次同步。</p>` : ""}</div>
<h2>图片（电商提交原样）</h2>
${images.length > 0 ? html`<div class="gallery">${gallery}</div>` : html`<p class="muted">无图片。</p>`}
<h2>参数与品目标准参数对照</h2>
${parameterTable(parameters)}
<h2>分地区库存</h2>
${stock.length > 0 ? html`<table><thead><tr><th scope="col">地区</th><th scope="col">数量</th><th scope="col">说明</th><th scope="col">查询时间</th></tr></thead><tbody>${stock.map((s) => html`<tr><td>${s.areaName} <span class="mono muted">${s.area}</span></td><td class="num">${s.num < 0 ? "未知" : s.num}</td><td>${s.description}</td><td>${beijing(s.checkedAt)}</td></tr>`)}</tbody></table>` : html`<p class="muted">尚未查询库存。</p>`}
<h2>价格历史</h2>
${
  priceHistory.length > 0
    ? lineChart({
        title: "协议价与商城价（元）",
        from: first,
        to: Math.max(last, first + 1),
        series: [
          { name: "协议价", color: COLORS.price, points: priceHistory.map((h) => ({ x: h.at, y: h.priceFen / 100 })) },
          { name: "商城价", color: COLORS.mallPrice, points: priceHistory.map((h) => ({ x: h.at, y: h.mallPriceFen / 100 })) },
        ],
      })
    : ""
}
<details><summary>价格历史明细（${priceHistory.length} 条）</summary>
<table><thead><tr><th scope="col">时间</th><th scope="col">协议价</th><th scope="col">商城价</th><th scope="col">协议价区间（压缩后的一日或一月）</th><th scope="col">批次</th></tr></thead><tbody>${priceHistory.map((h) => html`<tr><td>${beijing(h.at)}</td><td class="num">${yuan(h.priceFen)}</td><td class="num">${yuan(h.mallPriceFen)}</td><td class="num">${h.minPriceFen === null || h.maxPriceFen === null ? "" : `${yuan(h.minPriceFen)}–${yuan(h.maxPriceFen)}`}</td><td class="mono">${h.runId ?? ""}</td></tr>`)}</tbody></table></details>`;
    },
  },
];
