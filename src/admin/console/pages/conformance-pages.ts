import type { RunView } from "../../../conformance/conformance-service.js";
import type { ConformanceReport } from "../../../conformance/report.js";
import type { ConsoleContext, ConsolePage } from "../console-kit.js";
import { type Html, beijing, href, html } from "../html.js";
import { badge, csrfField, emptyRow } from "../layout.js";
import { productionCard } from "./production-card.js";

type Mark = {
  id: string;
  runId: string;
  state: string;
  reason: string | null;
  issuedAt: string;
  expiresAt: string;
  recertifyBy: string | null;
  jws: string;
  kitVersion: string;
  contractVersion: string;
};
type Standing = {
  mark: Mark | null;
  gate: { open: boolean; via: string | null; reason: string | null };
  waiver: { reason: string; actor?: string; createdAt: number } | null;
};

export const STEP_NAMES: Record<string, string> = { passed: "通过", failed: "未通过", warning: "提示", not_implemented: "未实现" };
export const MARK_NAMES: Record<string, string> = { valid: "有效", suspended: "已暂停", revoked: "已撤销", expired: "已过期" };
/** A mark's ISO instant in the console's one time zone. */
const bj = (text: string | null) => beijing(text ? Date.parse(text) : null);
const GATE_REASONS: Record<string, string> = { no_mark: "无信任标识", suspended: "标识已暂停", revoked: "标识已撤销", expired: "标识已过期" };
const tone = (s: string): "ok" | "warn" | "bad" | "" =>
  s === "passed" || s === "valid" ? "ok" : s === "warning" || s === "suspended" ? "warn" : s === "failed" || s === "revoked" || s === "expired" ? "bad" : "";
const iso = bj;

/** The gate in words: through with a mark or a waiver, or held and why. */
export function gateBadge(gate: Standing["gate"]): Html {
  if (gate.open) return badge(gate.via === "waiver" ? "放行（豁免）" : "放行", gate.via === "waiver" ? "warn" : "ok");
  return badge(`拦截：${GATE_REASONS[gate.reason ?? ""] ?? gate.reason ?? ""}`, "bad");
}

/**
 * The conformance card of a supplier's page: mark state, gate, waiver, and (admins) the forms to
 * suspend, revoke, waive and withdraw the waiver. A supplier user sees its own standing without the forms.
 */
export async function trustMarkCard(ctx: ConsoleContext, code: string): Promise<Html> {
  if (!ctx.may("GET", "/suppliers/:code/trust-mark")) return html``;
  const s = await ctx.api<Standing>("GET", "/suppliers/:code/trust-mark", { params: { code } });
  const form = (path: string, label: string, placeholder: string, secondary = false) =>
    html`<form class="inline reason-form" method="post" action="/admin/suppliers/${code}/${path}">${csrfField(ctx.csrfToken)}<label>${label}的原因（必填）<input name="reason" required maxlength="500" placeholder="${placeholder}" size="24"></label><button type="submit" class="${secondary ? "secondary" : ""}">${label}</button></form> `;
  const admin = ctx.may("POST", "/suppliers/:code/trust-mark/suspend");
  return html`<div class="card" id="conformance"><h2>对接合规检测 · 正式环境信任标识</h2><dl class="kv">
  <dt>信任标识</dt><dd>${s.mark ? html`${badge(MARK_NAMES[s.mark.state] ?? s.mark.state, tone(s.mark.state))} <span class="mono">${s.mark.id}</span>（<a href="/admin/conformance/runs/${s.mark.runId}">测试记录与报告</a>）` : html`${badge("无", "")} 尚无（电商需以对接测试工具完成一次通过的测试）`}</dd>
  ${
    s.mark
      ? html`<dt>有效期</dt><dd>${bj(s.mark.issuedAt)} 至 ${bj(s.mark.expiresAt)}${s.mark.recertifyBy ? html`；契约变更，须于 ${bj(s.mark.recertifyBy)} 前重新测试` : ""}</dd>
  <dt>版本</dt><dd>测试工具 ${s.mark.kitVersion} / 契约 ${s.mark.contractVersion}</dd>
  ${s.mark.reason ? html`<dt>暂停/撤销原因</dt><dd>${s.mark.reason}</dd>` : ""}`
      : ""
  }
  <dt>生产准入</dt><dd>${gateBadge(s.gate)}</dd>
  <dt>准入豁免</dt><dd>${s.waiver ? html`已豁免：${s.waiver.reason}（${s.waiver.actor ? `${s.waiver.actor}，` : ""}${beijing(s.waiver.createdAt)}）` : "无"}</dd>
</dl>
${
  admin
    ? html`<p>${s.mark && s.mark.state !== "revoked" ? html`${s.mark.state !== "suspended" ? form("trust-mark/suspend", "暂停标识", "如：正式环境接口多次超时", true) : ""}${form("trust-mark/revoke", "撤销标识", "如：已终止合作", true)}` : ""}
${s.waiver ? form("gate-waiver/withdraw", "撤回豁免", "如：豁免依据已失效", true) : form("gate-waiver", "豁免准入检查", "如：已与其他卖场对接")}</p>`
    : ""
}
<p class="muted"><a href="${href("/admin/conformance/runs", { supplier: code })}">全部对接测试记录</a></p></div>`;
}

/** The supplier's page is staff-only: a supplier user sees its code without a link it may not follow. */
const supplierLink = (ctx: ConsoleContext, code: string): Html =>
  ctx.may("GET", "/suppliers/:code") ? html`<a href="/admin/suppliers/${code}">${code}</a>` : html`${code}`;

function evidenceList(evidence: ConformanceReport["modules"][number]["steps"][number]["evidence"]): Html {
  if (evidence.length === 0) return html``;
  return html`<details><summary>证据（${evidence.length}）</summary>${evidence.map(
    (e) => html`<dl class="kv">
  ${e.operation ? html`<dt>接口</dt><dd class="mono">${e.operation}</dd>` : ""}
  ${e.expected !== undefined ? html`<dt>预期</dt><dd><code>${e.expected}</code></dd>` : ""}
  ${e.got !== undefined ? html`<dt>实际</dt><dd><code>${e.got}</code></dd>` : ""}
  ${e.request ? html`<dt>请求</dt><dd><pre class="mono">${JSON.stringify(e.request, null, 1)}</pre></dd>` : ""}
  ${e.response ? html`<dt>应答</dt><dd><pre class="mono">${"status" in e.response ? `HTTP ${e.response.status}${e.response.sign ? ` X-Sign-Timestamp ${e.response.signTimestamp ?? ""}` : " 无签名头"}\n${e.response.body}` : e.response.error}</pre></dd>` : ""}
</dl>`,
  )}</details>`;
}

type RunJob = {
  id: string;
  supplier: string;
  status: string;
  actor: string;
  requestedAt: string;
  startedAt: string | null;
  endedAt: string | null;
  progress: Array<{ id: string; title: string; status: string }>;
  error: string | null;
};
type SelfService = {
  supplier: string;
  sandbox: { baseUrl: string; username: string; signMode: string; encoding: "form" | "json"; updatedAt: string; updatedBy: string } | null;
  runs: RunJob[];
};

export const JOB_NAMES: Record<string, string> = { queued: "排队中", running: "进行中", passed: "通过", failed: "未通过", interrupted: "已中断" };
const jobTone = (s: string): "ok" | "warn" | "bad" | "" =>
  s === "passed" ? "ok" : s === "queued" || s === "running" ? "warn" : s === "failed" || s === "interrupted" ? "bad" : "";

/**
 * 自助对接测试: the sandbox form (the registered one filled in, its secrets never shown: left empty
 * they are kept) and the runs asked for through it. A supplier user certifies itself; an admin names
 * the supplier.
 */
async function selfServiceCard(ctx: ConsoleContext, supplier: string | null): Promise<Html> {
  if (!ctx.may("POST", "/conformance/runs")) return html``;
  const own = supplier ? await ctx.api<SelfService>("GET", "/conformance/self-service", { query: { supplier } }) : null;
  const sandbox = own?.sandbox ?? null;
  const v = (name: string, fallback = "") => ctx.form[name] ?? fallback;
  const err = (name: string) => (ctx.fieldErrors[name] ? html`<span class="field-error">${ctx.fieldErrors[name]}</span>` : "");
  const option = (value: string, label: string, current: string) => html`<option value="${value}" ${value === current ? "selected" : ""}>${label}</option>`;
  const secret = (name: string, label: string) =>
    html`<label>${label}<input type="password" name="${name}" autocomplete="off" ${sandbox ? html`placeholder="已保存（留空则沿用）"` : "required"}>${err(name)}</label>`;
  return html`<div class="card" id="self-service"><h2>自助对接测试</h2>
<p class="muted">登记测试环境（沙箱）的地址与账号后发起测试：测试在后台进行，本页可查看进度，结束后提供报告（JSON、签名、可打印页）；通过即签发正式环境信任标识。密码与 appSecret 加密保存，不再显示。</p>
<form method="post" action="/admin/conformance/runs" class="stack">${csrfField(ctx.csrfToken)}
${ctx.user.role === "supplier" ? "" : html`<label>电商代码<input name="supplier" required value="${v("supplier", supplier ?? "")}">${err("supplier")}</label>`}
<label>测试环境地址<input name="baseUrl" type="url" required placeholder="https://sandbox.example.cn" value="${v("baseUrl", sandbox?.baseUrl ?? "")}" size="40">${err("baseUrl")}</label>
<label>账号<input name="username" required value="${v("username", sandbox?.username ?? "")}" autocomplete="off">${err("username")}</label>
${secret("password", "密码")}
${secret("appSecret", "appSecret")}
<label>签名方式<select name="signMode">${option("hmac-sha256", "HMAC-SHA256", v("signMode", sandbox?.signMode ?? "hmac-sha256"))}${option("yggc-md5", "yggc-md5（旧）", v("signMode", sandbox?.signMode ?? "hmac-sha256"))}</select></label>
<label>请求编码<select name="encoding">${option("form", "表单", v("encoding", sandbox?.encoding ?? "form"))}${option("json", "JSON", v("encoding", sandbox?.encoding ?? "form"))}</select></label>
<button type="submit">发起对接测试</button></form>
${sandbox ? html`<p class="muted">已登记的测试环境：<span class="mono">${sandbox.baseUrl}</span>，账号 ${sandbox.username}，密码与 appSecret ••••••（${bj(sandbox.updatedAt)} 由 ${sandbox.updatedBy} 保存）</p>` : ""}
${
  own && own.runs.length > 0
    ? html`<table><thead><tr><th scope="col">测试编号</th><th scope="col">状态</th><th scope="col">发起</th><th scope="col">结束</th></tr></thead><tbody>
${own.runs.map((r) => html`<tr><td><a class="mono" href="/admin/conformance/runs/${r.id}">${r.id}</a></td><td>${badge(JOB_NAMES[r.status] ?? r.status, jobTone(r.status))}</td><td>${bj(r.requestedAt)}</td><td>${bj(r.endedAt)}</td></tr>`)}
</tbody></table>`
    : ""
}</div>`;
}

/**
 * A run asked for through the queue that has no report yet: its status and each module as it
 * starts and ends. console.js follows it live (server-sent events) and loads the report page when it
 * ends; without the script, reloading the page shows the same.
 */
function progressView(run: RunJob): Html {
  const live = run.status === "queued" || run.status === "running";
  return html`<div class="card" id="run-progress" ${live ? html`data-events="/admin/conformance/runs/${run.id}/events"` : ""}><dl class="kv">
  <dt>状态</dt><dd><span data-status>${badge(JOB_NAMES[run.status] ?? run.status, jobTone(run.status))}</span></dd>
  <dt>电商</dt><dd>${run.supplier}</dd>
  <dt>发起</dt><dd>${bj(run.requestedAt)}（${run.actor}）</dd>
  <dt>开始</dt><dd>${bj(run.startedAt)}</dd>
  ${run.error ? html`<dt>原因</dt><dd>${run.status === "interrupted" ? "测试未能完成：" : ""}${run.error}</dd>` : ""}
</dl>
<ol class="progress" data-modules>${run.progress.map((m) => html`<li data-module="${m.id}">${m.title} ${badge(m.status === "running" ? "进行中" : (STEP_NAMES[m.status] ?? m.status), m.status === "running" ? "warn" : tone(m.status))}</li>`)}</ol>
${live ? html`<p class="muted" data-no-script>测试进行中：刷新本页查看最新进度；结束后本页显示报告。</p>` : ""}
${run.status === "interrupted" ? html`<p>可在<a href="/admin/conformance/runs">对接测试</a>页重新发起。</p>` : ""}</div>`;
}

export const conformancePages: ConsolePage[] = [
  {
    path: "/conformance/runs",
    primary: ["GET", "/conformance/runs"],
    title: "对接测试",
    async render(ctx) {
      const query = Object.fromEntries(Object.entries({ supplier: ctx.query.supplier, limit: "100" }).filter(([, v]) => v)) as Record<string, string>;
      const { runs } = await ctx.api<{ runs: RunView[] }>("GET", "/conformance/runs", { query });
      // A supplier user has no supplier page: its own mark and gate are shown here instead.
      const own = ctx.user.role === "supplier" ? (await ctx.api<{ supplier?: string | null }>("GET", "/session")).supplier : null;
      return html`<p class="muted">电商在此（或以命令 <code>npm run cli -- conformance run …</code>）对其测试环境自助测试；通过即签发正式环境信任标识。</p>
${own ? html`${await trustMarkCard(ctx, own)}${await productionCard(ctx, own)}` : ""}
${await selfServiceCard(ctx, own ?? ctx.query.supplier ?? null)}
${own ? "" : html`<form class="filters" method="get"><label>电商代码<input name="supplier" value="${ctx.query.supplier ?? ""}"></label><button type="submit">筛选</button></form>`}
<table><thead><tr><th scope="col">测试编号</th><th scope="col">电商</th><th scope="col">结论</th><th scope="col">开始</th><th scope="col">测试环境</th><th scope="col">版本</th><th scope="col">信任标识</th></tr></thead><tbody>
${runs.map(
  (r) => html`<tr>
  <td><a class="mono" href="/admin/conformance/runs/${r.id}">${r.id}</a></td><td>${supplierLink(ctx, r.supplier)}</td>
  <td>${badge(r.passed ? "通过" : "未通过", r.passed ? "ok" : "bad")}</td><td>${iso(r.startedAt)}</td><td class="mono">${r.baseUrl}</td>
  <td>${r.kitVersion} / ${r.contractVersion}</td><td class="mono">${r.markId ?? "—"}</td>
</tr>`,
)}
${emptyRow(runs, 7, "还没有对接测试记录。")}
</tbody></table>`;
    },
  },
  {
    path: "/conformance/runs/:id",
    primary: ["GET", "/conformance/runs/:id"],
    title: (ctx) => `对接测试 ${ctx.params.id ?? ""}`,
    async render(ctx) {
      const id = ctx.params.id ?? "";
      const shown = await ctx.api<{ run: RunView | RunJob; report?: ConformanceReport; reportSha256: string; mark: Mark | null }>(
        "GET",
        "/conformance/runs/:id",
        { params: { id } },
      );
      if (!shown.report) return progressView(shown.run as RunJob);
      const { report, reportSha256, mark } = shown;
      const run = shown.run as RunView;
      const base = `/admin/api/conformance/runs/${id}`;
      return html`<div class="card"><dl class="kv">
  <dt>结论</dt><dd>${badge(run.passed ? "通过" : "未通过", run.passed ? "ok" : "bad")} 必过步骤未通过 ${report.summary.blocking.length} 项</dd>
  <dt>电商</dt><dd>${supplierLink(ctx, report.supplier.code)} ${report.supplier.name} · <span class="mono">${report.supplier.creditCode}</span></dd>
  <dt>测试环境</dt><dd class="mono">${report.sandboxBaseUrl}（${report.signMode}）</dd>
  <dt>版本</dt><dd>测试工具 ${report.kitVersion} / 契约 ${report.contractVersion}</dd>
  <dt>时间</dt><dd>${iso(report.startedAt)} — ${iso(report.endedAt)}</dd>
  <dt>报告 SHA-256</dt><dd class="mono">${reportSha256}</dd>
  <dt>下载</dt><dd><a href="${base}/report.json">JSON 报告</a> · <a href="${base}/report.json.jws">签名（JWS）</a> · <a href="${base}/report.html">可打印报告</a>${mark ? html` · <a href="${base}/mark.jws">信任标识</a>` : ""} · <a href="/.well-known/jwks.json">公钥</a></dd>
  <dt>信任标识</dt><dd>${mark ? html`${badge(MARK_NAMES[mark.state] ?? mark.state, tone(mark.state))} <span class="mono">${mark.id}</span>，有效至 ${iso(mark.expiresAt)}` : "未签发"}</dd>
</dl></div>
${report.modules.map(
  (m) => html`<h2>${m.title} ${badge(STEP_NAMES[m.status] ?? m.status, tone(m.status))}</h2>
<table><thead><tr><th scope="col">步骤</th><th scope="col">结论</th><th scope="col">说明与证据</th></tr></thead><tbody>
${m.steps.map(
  (
    s,
  ) => html`<tr><td>${s.title}<br><span class="muted mono">${s.id} · ${s.section}${s.required ? " · 必过" : " · 参考"}${s.changesState ? " · 改变测试环境状态" : ""}</span></td>
  <td>${badge(STEP_NAMES[s.status] ?? s.status, tone(s.status))}</td><td>${s.detail}${evidenceList(s.evidence)}</td></tr>`,
)}
</tbody></table>`,
)}`;
    },
  },
];
