import { supplierOperations } from "../../../contract/index.js";
import type { ConsolePage } from "../console-kit.js";
import { type Html, beijing, href, html } from "../html.js";
import { LABELS, countsTable, zh, zhBadge } from "../labels.js";
import { badge, emptyRow } from "../layout.js";

type Run = {
  id: string;
  supplier: string | null;
  trigger: string;
  status: string;
  startedAt: number;
  endedAt: number | null;
  callsMade: number;
  counts: Record<string, unknown>;
  errors: unknown[];
};
type Message = {
  id: number;
  runId: string;
  messageId: string;
  type: number;
  sku: string;
  outcome: string;
  reasons: Array<{ code?: number; field?: string; message?: string } | string>;
  durationMs: number;
  callSeqs: number[];
  at: number;
};
/** A supplier call as the contract names it (S-4 获取商品详情), its code beside it for searching logs. */
function operationName(operation: string): Html {
  const op = (supplierOperations as Record<string, { id: string; title: string } | undefined>)[operation];
  return op ? html`${op.id} ${op.title} <span class="mono muted">${operation}</span>` : html`<span class="mono">${operation}</span>`;
}

type Call = {
  seq: number;
  operation: string;
  endpoint: string;
  attempt: number;
  startedAt: string;
  durationMs: number;
  outcome: string;
  errorCode: number | null;
  httpStatus: number | null;
  batchSize: number | null;
  subject: string | null;
  message: string | null;
};

const TYPE_NAMES: Record<string, string> = LABELS.messageType;
const OUTCOME_NAMES: Record<string, string> = LABELS.outcome;

/** A reason as its code and field (values) and its rule: the gateway's own checks read in zh-CN; a contract diagnostic is shown as written, as evidence. */
const reasonText = (r: Message["reasons"][number]) => {
  const item = typeof r === "string" ? { message: r } : r;
  const rule = item.message ?? "";
  return html`${item.code !== undefined ? html`<code>${item.code}</code> ` : ""}${item.field ? html`<span class="mono">${item.field}</span> ` : ""}${/[\u4e00-\u9fff]/.test(rule) ? rule : html`不合契约：<code>${rule}</code>`}`;
};

export function messageTable(rows: readonly Message[]) {
  return html`<table><thead><tr><th scope="col">#</th><th scope="col">时间</th><th scope="col">消息</th><th scope="col">类型</th><th scope="col">SKU</th><th scope="col">结果</th><th scope="col">原因</th><th scope="col">耗时</th><th scope="col">调用</th></tr></thead><tbody>
${rows.map(
  (m) => html`<tr>
  <td class="num">${m.id}</td><td>${beijing(m.at)}</td><td class="mono">${m.messageId}</td>
  <td>${m.type} ${zh("messageType", m.type)}</td><td class="mono">${m.sku}</td>
  <td>${zhBadge("outcome", m.outcome)}</td>
  <td>${m.reasons.length > 0 ? html`<ul class="reasons">${m.reasons.map((r) => html`<li>${reasonText(r)}</li>`)}</ul>` : ""}</td>
  <td class="num">${m.durationMs} ms</td>
  <td><a href="/admin/sync/messages/${m.id}">${m.callSeqs.length} 次调用</a></td>
</tr>`,
)}
${emptyRow(rows, 9, "没有符合条件的消息。")}
</tbody></table>`;
}

/** Received / applied / rejected / quarantined over every message type of a run. */
function countSummary(counts: Record<string, unknown>): string {
  const sum = (k: string) =>
    Object.values(counts).reduce(
      (n: number, v) => n + (v && typeof v === "object" && typeof (v as Record<string, unknown>)[k] === "number" ? ((v as Record<string, number>)[k] ?? 0) : 0),
      0,
    );
  return `${sum("received")} / ${sum("applied")} / ${sum("rejected")} / ${sum("quarantined")}`;
}

/** A run error: when, which call and what kind of failure in zh-CN, then the gateway's diagnostic as evidence. */
function errorItem(e: unknown): Html {
  if (!e || typeof e !== "object") return html`<code>${String(e)}</code>`;
  const r = e as { at?: string; endpoint?: string; kind?: string; code?: number; message?: string };
  const at = r.at ? Date.parse(r.at) : Number.NaN;
  return html`${Number.isFinite(at) ? html`${beijing(at)} ` : ""}${r.kind ? badge(zh("callOutcome", r.kind), "bad") : ""} ${r.endpoint ? html`<span class="mono">${r.endpoint}</span> ` : ""}${r.code !== undefined ? html`<code>${r.code}</code> ` : ""}${r.message ? html`<code>${r.message}</code>` : ""}`;
}

export const syncPages: ConsolePage[] = [
  {
    path: "/sync/runs",
    primary: ["GET", "/sync/runs"],
    title: "同步批次",
    async render(ctx) {
      const query = { supplier: ctx.query.supplier, before: ctx.query.before, limit: "50" };
      const { runs, nextBefore } = await ctx.api<{ runs: Run[]; nextBefore: number | null }>("GET", "/sync/runs", {
        query: Object.fromEntries(Object.entries(query).filter(([, v]) => v)) as Record<string, string>,
      });
      return html`${ctx.user.role === "supplier" ? "" : html`<form class="filters" method="get"><label>电商代码<input name="supplier" value="${ctx.query.supplier ?? ""}"></label><button type="submit">筛选</button></form>`}
<table><thead><tr><th scope="col">批次</th><th scope="col">电商</th><th scope="col">触发</th><th scope="col">状态</th><th scope="col">开始</th><th scope="col">结束</th><th scope="col">调用数</th><th scope="col">消息（收到 / 应用 / 拒绝 / 隔离）</th></tr></thead><tbody>
${runs.map(
  (r) => html`<tr>
  <td><a class="mono" href="/admin/sync/runs/${r.id}">${r.id}</a></td><td class="mono">${r.supplier}</td><td>${zh("trigger", r.trigger)}</td>
  <td>${zhBadge("runStatus", r.status)}</td><td>${beijing(r.startedAt)}</td><td>${beijing(r.endedAt)}</td><td class="num">${r.callsMade}</td>
  <td class="num">${countSummary(r.counts)}</td>
</tr>`,
)}
${emptyRow(runs, 8, "还没有同步批次。")}
</tbody></table>
${nextBefore ? html`<p class="pager"><a href="${href("/admin/sync/runs", { supplier: ctx.query.supplier, before: nextBefore })}">下一页 →</a></p>` : ""}`;
    },
  },
  {
    path: "/sync/runs/:runId",
    primary: ["GET", "/sync/runs/:runId"],
    title: (ctx) => `同步批次 ${ctx.params.runId ?? ""}`,
    async render(ctx) {
      const { run } = await ctx.api<{ run: Run }>("GET", "/sync/runs/:runId", { params: { runId: ctx.params.runId ?? "" } });
      const page = await ctx.api<{ messages: Message[]; nextAfterId: number | null }>("GET", "/sync/messages", {
        query: { runId: run.id, limit: "200", ...(ctx.query.afterId ? { afterId: ctx.query.afterId } : {}) },
      });
      return html`<div class="card"><dl class="kv">
  <dt>电商</dt><dd class="mono">${run.supplier}</dd><dt>触发</dt><dd>${zh("trigger", run.trigger)}</dd>
  <dt>状态</dt><dd>${zhBadge("runStatus", run.status)}</dd>
  <dt>时间</dt><dd>${beijing(run.startedAt)} — ${beijing(run.endedAt)}</dd>
  <dt>调用数</dt><dd>${run.callsMade}</dd>
  <dt>错误</dt><dd>${run.errors.length > 0 ? html`<ul class="reasons">${run.errors.map((e) => html`<li>${errorItem(e)}</li>`)}</ul>` : "无"}</dd>
</dl></div>
<h2>计数</h2>
${countsTable(run.counts)}
<h2>本批次消息</h2>
${messageTable(page.messages)}
${page.nextAfterId ? html`<p class="pager"><a href="${href(`/admin/sync/runs/${run.id}`, { afterId: page.nextAfterId })}">下一页 →</a></p>` : ""}`;
    },
  },
  {
    path: "/sync/messages",
    primary: ["GET", "/sync/messages"],
    title: "消息日志",
    async render(ctx) {
      const keys = ["supplier", "runId", "type", "outcome", "sku", "from", "to", "afterId"] as const;
      const query: Record<string, string> = { limit: "100" };
      for (const k of keys) if (ctx.query[k]) query[k] = ctx.query[k];
      const page = await ctx.api<{ messages: Message[]; nextAfterId: number | null }>("GET", "/sync/messages", { query });
      const v = (k: string) => ctx.query[k] ?? "";
      return html`<form class="filters" method="get">
  ${ctx.user.role === "supplier" ? "" : html`<label>电商代码<input name="supplier" value="${v("supplier")}" size="8"></label>`}
  <label>类型<select name="type"><option value="">全部</option>${Object.entries(TYPE_NAMES).map(([t, n]) => html`<option value="${t}" ${v("type") === t ? html`selected` : ""}>${t} ${n}</option>`)}</select></label>
  <label>结果<select name="outcome"><option value="">全部</option>${Object.entries(OUTCOME_NAMES).map(([o, n]) => html`<option value="${o}" ${v("outcome") === o ? html`selected` : ""}>${n}</option>`)}</select></label>
  <label>SKU<input name="sku" value="${v("sku")}" size="12"></label>
  <label>起（北京时间）<input type="datetime-local" name="from" value="${v("from")}"></label>
  <label>止<input type="datetime-local" name="to" value="${v("to")}"></label>
  <button type="submit">筛选</button>
</form>
${messageTable(page.messages)}
${page.nextAfterId ? html`<p class="pager"><a href="${href("/admin/sync/messages", { ...query, limit: undefined, afterId: page.nextAfterId })}">下一页 →</a></p>` : ""}`;
    },
  },
  {
    path: "/sync/messages/:id",
    primary: ["GET", "/sync/messages/:id/calls"],
    title: (ctx) => `消息 #${ctx.params.id ?? ""} 的调用`,
    async render(ctx) {
      const { message, calls } = await ctx.api<{ message: Message; calls: Call[] }>("GET", "/sync/messages/:id/calls", { params: { id: ctx.params.id ?? "" } });
      return html`${messageTable([message])}
<p>所属批次 <a class="mono" href="/admin/sync/runs/${message.runId}">${message.runId}</a></p>
<h2>调用明细</h2>
<table><thead><tr><th scope="col">序号</th><th scope="col">操作</th><th scope="col">接口</th><th scope="col">尝试</th><th scope="col">开始</th><th scope="col">耗时</th><th scope="col">结果</th><th scope="col">错误码</th><th scope="col">HTTP</th><th scope="col">批量</th><th scope="col">对象</th><th scope="col">说明</th></tr></thead><tbody>
${calls.map(
  (
    c,
  ) => html`<tr><td class="num">${c.seq}</td><td>${operationName(c.operation)}</td><td class="mono">${c.endpoint}</td><td class="num">${c.attempt}</td><td>${beijing(Date.parse(c.startedAt))}</td><td class="num">${c.durationMs} ms</td>
  <td>${zhBadge("callOutcome", c.outcome)}</td><td>${c.errorCode ?? ""}</td><td>${c.httpStatus ?? ""}</td><td class="num">${c.batchSize ?? ""}</td><td class="mono">${c.subject ?? ""}</td><td>${c.message ? html`<code>${c.message}</code>` : ""}</td></tr>`,
)}
${emptyRow(calls, 12, "这条消息没有调用电商接口。")}
</tbody></table>`;
    },
  },
];
