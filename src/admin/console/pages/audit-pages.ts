import type { AdminUserView } from "../../admin-users.js";
import type { AuditVerdict } from "../../audit-trail.js";
import type { ConsolePage } from "../console-kit.js";
import { type Html, beijing, href, html } from "../html.js";
import type { AdminErrorCode } from "../../admin-errors.js";
import { ERROR_TITLES } from "../console-messages.js";
import type { SupplierView } from "../../../accounts/supplier-accounts.js";
import { LABELS, zhBadge } from "../labels.js";
import { ROLE_NAMES, badge, csrfField, emptyRow } from "../layout.js";

/** What an action code means, in zh-CN; the code itself stays beside it (the filter takes codes). */
const auditActionName = (action: string): string => (LABELS.auditAction as Record<string, string>)[action] ?? "";

type Entry = {
  id: number;
  at: number;
  actor: string;
  role: string | null;
  action: string;
  target: string | null;
  outcome: string;
  summary: unknown;
  requestId: string | null;
  hash: string;
};

/** Keys of audit summaries as staff read them; an unknown key is shown as the code it is. */
const SUMMARY_KEYS: Record<string, string> = {
  before: "之前",
  after: "之后",
  error: "原因",
  note: "备注",
  reason: "原因",
  rotated: "已轮换",
  passwordChanged: "改密码",
  failuresInWindow: "窗口内失败次数",
  failedLoginsNotAudited: "未逐条记录的失败登录",
  requeued: "重新排队",
  runId: "批次",
  status: "状态",
  state: "状态",
  supplier: "电商",
  orderPriceFen: "金额（分）",
  lines: "商品行数",
  waived: "已豁免",
  listingState: "上架申请",
  mark: "信任标识",
  marks: "所涉信任标识",
  signMode: "签名方式",
  bodyFormat: "报文编码",
  paused: "暂停原因",
  credentialsVersion: "凭据版本",
  passed: "通过",
  modules: "模块",
  steps: "步骤",
  blocking: "未通过的必过步骤",
  code: "代码",
  name: "名称",
  creditCode: "统一社会信用代码",
  domains: "域名",
  username: "用户名",
  role: "角色",
  enabled: "启用",
  baseUrl: "接口地址",
  pullSchedule: "拉取计划",
  stockSchedule: "库存计划",
  stockAreas: "库存地区",
  maxConcurrent: "并发",
  qps: "QPS",
  timeoutMs: "超时（毫秒）",
  contactName: "联系人",
  contactPhone: "联系电话",
  createdAt: "创建时间",
  updatedAt: "修改时间",
  credentialsRotatedAt: "凭据轮换时间",
  yggcOrder: "订单号",
  pushAttempts: "推送次数",
  count: "数量",
};

/** The recorded reason of a refused or failed action: its kind in zh-CN, the stored text as evidence. */
function errorValue(text: string): Html {
  const code = /^(\w+):/.exec(text)?.[1] as AdminErrorCode | undefined;
  const kind =
    code && code in ERROR_TITLES
      ? ERROR_TITLES[code]
      : /^role \w+ may not/.test(text)
        ? ERROR_TITLES.forbidden
        : text === "invalid input"
          ? ERROR_TITLES.invalid_input
          : text === "internal error"
            ? "内部错误"
            : "";
  return html`${kind ? `${kind} ` : ""}<code>${text}</code>`;
}

/** Recorded enum values by the key that holds them, in zh-CN; the first map that knows the value wins. */
const VALUE_LABELS: Record<string, ReadonlyArray<Record<string, string>>> = {
  status: [LABELS.runStatus, LABELS.orderState, LABELS.supplierStatus, LABELS.productStatus],
  state: [LABELS.orderState, LABELS.runStatus],
  listingState: [LABELS.listing],
  signMode: [LABELS.signMode],
  bodyFormat: [LABELS.bodyFormat],
  outcome: [LABELS.outcome, LABELS.auditOutcome],
  role: [ROLE_NAMES],
};

/** A recorded value as staff read it: an enum in zh-CN, an epoch time (a key ending in At) in Beijing time. */
function labelled(k: string | undefined, v: string | number): Html | null {
  if (k === undefined) return null;
  if (typeof v === "number" && /At$/.test(k)) return beijing(v);
  const name = VALUE_LABELS[k]?.map((labels) => labels[String(v)]).find((x) => x !== undefined);
  return name === undefined ? null : html`${name}`;
}

/** An audit summary as short lines ("before → after"), keys and values in zh-CN, never raw JSON. */
function summaryList(summary: unknown) {
  if (!summary || typeof summary !== "object") return "";
  const value = (v: unknown, k?: string): Html => {
    if (v === null || v === undefined) return html`—`;
    if (Array.isArray(v)) return html`<code>${v.map((x) => (typeof x === "object" ? JSON.stringify(x) : String(x))).join("、")}</code>`;
    if (typeof v === "object")
      return html`${Object.entries(v as Record<string, unknown>).map(([ik, x], i) => html`${i > 0 ? "，" : ""}${key(ik)}：${value(x, ik)}`)}`;
    if (typeof v === "boolean") return html`${v ? "是" : "否"}`;
    return (typeof v === "string" || typeof v === "number" ? labelled(k, v) : null) ?? html`<code>${String(v)}</code>`;
  };
  const key = (k: string): Html => (SUMMARY_KEYS[k] ? html`${SUMMARY_KEYS[k]}` : html`<code>${k}</code>`);
  const entries = Object.entries(summary as Record<string, unknown>);
  if (entries.length === 0) return "";
  return html`<ul class="reasons">${entries.map(([k, v]) => html`<li><span class="muted">${key(k)}</span> ${k === "error" && typeof v === "string" ? errorValue(v) : value(v, k)}</li>`)}</ul>`;
}

export const auditPages: ConsolePage[] = [
  {
    path: "/audit",
    primary: ["GET", "/audit"],
    title: "审计日志",
    async render(ctx) {
      const query: Record<string, string> = { limit: "100" };
      for (const k of ["actor", "action", "target", "before"]) if (ctx.query[k]) query[k] = ctx.query[k] ?? "";
      const { entries, nextBefore } = await ctx.api<{ entries: Entry[]; nextBefore: number | null }>("GET", "/audit", { query });
      // The check walks the whole chain (seconds at a few hundred thousand rows): run when asked, not on every page.
      const verdict = ctx.query.verify === "1" ? (await ctx.api<{ verdict: AuditVerdict }>("GET", "/audit/verify")).verdict : undefined;
      const verifyHref = href("/admin/audit", { ...query, limit: undefined, verify: "1" });
      return html`<div class="card">哈希链校验：${
        verdict === undefined
          ? html`<a href="${verifyHref}">校验全部记录</a> <span class="muted">（逐条核对整条链，记录多时需数秒）</span>`
          : verdict.ok
            ? html`${badge("完整", "ok")} 共 ${verdict.rows} 条，链头 <code>${verdict.head.slice(0, 16)}…</code>`
            : html`${badge("已被篡改", "bad")} 第 ${verdict.brokenAt} 条：${verdict.reason}`
      }</div>
<form class="filters" method="get"><label>操作人<input name="actor" value="${ctx.query.actor ?? ""}"></label><label>操作（前缀）<input name="action" value="${ctx.query.action ?? ""}"></label><label>对象<input name="target" value="${ctx.query.target ?? ""}"></label><button type="submit">筛选</button></form>
<p>导出 CSV：<a href="${href("/admin/api/exports/audit", { actor: ctx.query.actor, action: ctx.query.action, target: ctx.query.target })}" download>审计日志</a></p>
<table><thead><tr><th scope="col">#</th><th scope="col">时间</th><th scope="col">操作人</th><th scope="col">操作</th><th scope="col">对象</th><th scope="col">结果</th><th scope="col">摘要（前 / 后）</th><th scope="col">请求</th></tr></thead><tbody>
${entries.map(
  (
    e,
  ) => html`<tr><td class="num">${e.id}</td><td>${beijing(e.at)}</td><td>${e.actor}${e.role ? html` <span class="muted">${ROLE_NAMES[e.role as keyof typeof ROLE_NAMES] ?? e.role}</span>` : ""}</td><td>${auditActionName(e.action)} <span class="mono muted">${e.action}</span></td><td class="mono">${e.target ?? ""}</td>
  <td>${zhBadge("auditOutcome", e.outcome)}</td><td>${summaryList(e.summary)}</td><td class="mono">${e.requestId ?? ""}</td></tr>`,
)}
${emptyRow(entries, 8, "没有符合条件的审计记录。")}
</tbody></table>
${nextBefore ? html`<p class="pager"><a href="${href("/admin/audit", { ...query, limit: undefined, before: nextBefore })}">下一页 →</a></p>` : ""}`;
    },
  },
  {
    path: "/users",
    primary: ["GET", "/users"],
    title: "用户",
    async render(ctx) {
      const { users } = await ctx.api<{ users: AdminUserView[] }>("GET", "/users");
      const { suppliers } = await ctx.api<{ suppliers: SupplierView[] }>("GET", "/suppliers");
      const supplierSelect = (current?: string | null) =>
        html`<select name="supplier"><option value="">（员工，无）</option>${suppliers.map((s) => html`<option value="${s.code}" ${s.code === current ? html`selected` : ""}>${s.code} ${s.name}</option>`)}</select>`;
      const roleSelect = (current?: string) =>
        html`<select name="role">${Object.entries(ROLE_NAMES).map(([r, n]) => html`<option value="${r}" ${r === current ? html`selected` : ""}>${n}</option>`)}</select>`;
      return html`<table><thead><tr><th scope="col">用户名</th><th scope="col">角色</th><th scope="col">所属电商</th><th scope="col">状态</th><th scope="col">创建</th><th scope="col">修改</th></tr></thead><tbody>
${users.map(
  (
    u,
  ) => html`<tr><td class="mono">${u.username}</td><td>${ROLE_NAMES[u.role]}</td><td class="mono">${u.supplier ?? "—"}</td><td>${zhBadge("supplierStatus", u.status)}</td><td>${beijing(u.createdAt)}</td>
  <td><form class="inline" method="post" action="/admin/users/${u.username}" aria-label="修改用户 ${u.username}">${csrfField(ctx.csrfToken)}<label>角色${roleSelect(u.role)}</label><label>所属电商${supplierSelect(u.supplier)}</label>
    <label>状态<select name="enabled"><option value="true" ${u.status === "active" ? html`selected` : ""}>启用</option><option value="false" ${u.status === "active" ? "" : html`selected`}>停用</option></select></label>
    <label>新密码（可空）<input name="password" type="password" autocomplete="new-password"></label><button type="submit" class="secondary">保存</button></form></td></tr>`,
)}
</tbody></table>
<h2>新建用户</h2>
<form class="card filters" method="post" action="/admin/users">${csrfField(ctx.csrfToken)}<label>用户名<input name="username" required></label><label>角色${roleSelect()}</label><label>所属电商（仅电商用户）${supplierSelect()}</label>
<label>初始密码（至少 12 位）<input name="password" type="password" required minlength="12" autocomplete="new-password"></label><button type="submit">创建</button></form>`;
    },
  },
  {
    path: "/account",
    primary: ["POST", "/session/password"],
    title: "修改密码",
    render(ctx) {
      return html`<form class="card filters" method="post" action="/admin/account/password">${csrfField(ctx.csrfToken)}
<label>当前密码<input name="currentPassword" type="password" required autocomplete="current-password"></label>
<label>新密码（至少 12 位）<input name="newPassword" type="password" required minlength="12" autocomplete="new-password"></label><button type="submit">修改</button></form>`;
    },
  },
];
