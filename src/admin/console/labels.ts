import { type Html, html } from "./html.js";
import { badge, statusTone } from "./layout.js";

/** Every stored status, outcome and state as staff read it in zh-CN; raw English values never reach a label. */
export const LABELS = {
  runStatus: { running: "进行中", succeeded: "成功", partial: "部分成功", failed: "失败" },
  trigger: { schedule: "定时", manual: "手动", stock: "库存", replay: "重放" },
  outcome: { applied: "已应用", rejected: "已拒绝", failed: "失败", skipped: "跳过", quarantined: "已隔离" },
  callOutcome: {
    ok: "成功",
    success: "成功",
    refused: "被拒绝",
    error: "错误",
    timeout: "超时",
    network: "网络错误",
    http: "HTTP 错误",
    contract: "不合契约",
    failed: "失败",
    relogin: "重新登录",
    transient: "暂时失败",
    malformed: "应答格式错误",
    business: "业务拒绝",
    configuration: "配置错误",
    not_found: "不存在",
    stopped: "网关停止",
  },
  auditOutcome: { ok: "成功", refused: "已拒绝", failed: "失败" },
  productStatus: { active: "已校验", rejected: "未通过", delisted: "已撤出" },
  listing: { none: "未申请", applied: "待审核", approved: "已批准上架", refused: "已拒绝" },
  orderState: { created: "待推送", submitting: "提交中", submitted: "已提交", confirming: "确认中", confirmed: "已确认", failed: "失败" },
  failureKind: { refused: "电商拒绝", gave_up: "放弃（结果未知）" },
  supplierStatus: { active: "启用", disabled: "停用" },
  signMode: { "hmac-sha256": "HMAC-SHA256", "yggc-md5": "yggc-md5（旧式）" },
  bodyFormat: { form: "表单", json: "JSON" },
  messageType: { "2": "价格变更", "4": "上下架变更", "6": "商品池变更", "16": "商品信息变更" },
  step: {
    create: "创建",
    submit: "提交",
    confirm: "确认",
    "price-check": "价格核对",
    "stock-check": "库存核对",
    "answer-check": "应答核对",
    retry: "重试",
    lease: "租约",
    resume: "恢复推送",
  },
  auditAction: {
    "session.login": "登录",
    "session.logout": "退出登录",
    "user.create": "创建用户",
    "user.update": "修改用户",
    "user.password_change": "修改密码",
    "supplier.create": "登记电商",
    "supplier.connect": "配置对接",
    "supplier.connection_update": "修改对接配置",
    "supplier.rotate_secrets": "轮换密钥",
    "supplier.sign_mode": "修改签名方式",
    "supplier.status": "启用/停用电商",
    "supplier.waive_gate": "豁免上线门槛",
    "supplier.withdraw_waiver": "撤回上线门槛豁免",
    "supplier.reveal_contact": "查看联系人信息",
    "sync.run": "手动同步",
    "sync.stock": "刷新库存",
    "sync.replay": "重放隔离消息",
    "sync.prune": "清理同步日志",
    "order.create": "创建订单",
    "order.push": "推送订单",
    "order.retry": "重新推送订单",
    "order.resume": "恢复订单推送",
    "order.reveal_personal_data": "查看订单个人信息",
    "product.listing_apply": "申请上架",
    "product.listing_approve": "批准上架",
    "product.listing_refuse": "拒绝上架",
    "conformance.run": "对接测试",
    "conformance.request": "发起对接测试",
    "conformance.production_evaluate": "评估生产环境合规",
    "conformance.production_decide": "裁决暂停提议",
    "conformance.production_warn": "生产合规警告",
    "conformance.production_propose": "提议暂停标识",
    "conformance.production_suspend": "自动暂停标识",
    "conformance.production_none": "生产合规评估",
    "conformance.suspend": "暂停可信标识",
    "conformance.revoke": "吊销可信标识",
    "conformance.rotate_key": "轮换标识签名密钥",
    "backup.create": "创建备份",
    "backup.after_restore": "恢复后处理",
    "reference.load": "载入标准数据",
  },
  countKey: {
    received: "收到",
    pulled: "拉取",
    applied: "已应用",
    rejected: "已拒绝",
    failed: "失败",
    skipped: "跳过",
    quarantined: "已隔离",
    deleted: "已删除",
    stored: "已入库",
    pages: "页数",
    checked: "已查询",
    calls: "调用",
    duplicates: "重复",
    groups: "分组",
  },
} as const satisfies Record<string, Record<string, string>>;

export type LabelKind = keyof typeof LABELS;

/** The zh-CN label of a raw value; an unknown value says so rather than showing the raw English. */
export function zh(kind: LabelKind, value: string | number | null | undefined): string {
  if (value === null || value === undefined || value === "") return "—";
  const table = LABELS[kind] as Record<string, string>;
  return table[String(value)] ?? `未知（${String(value)}）`;
}

/** A coloured badge with the zh-CN label; the tone comes from the raw value. */
export const zhBadge = (kind: LabelKind, value: string): Html => badge(zh(kind, value), statusTone(value));

/** A run's counts ({type: {outcome: n}}) as a table with one row per message type, never raw JSON. */
export function countsTable(counts: Record<string, unknown>): Html {
  const groups = Object.entries(counts).filter(([, v]) => v && typeof v === "object") as Array<[string, Record<string, unknown>]>;
  if (groups.length === 0) return html`<span class="muted">无</span>`;
  const columns = [...new Set(groups.flatMap(([, v]) => Object.keys(v)))];
  const rowName = (key: string) => (key === "stock" ? "库存查询" : `类型 ${key} ${zh("messageType", key)}`);
  const colName = (key: string) => (LABELS.countKey as Record<string, string>)[key] ?? key;
  return html`<table class="counts"><thead><tr><th scope="col">消息类型</th>${columns.map((c) => html`<th scope="col" class="num">${colName(c)}</th>`)}</tr></thead><tbody>
${groups.map(([key, v]) => html`<tr><th scope="row">${rowName(key)}</th>${columns.map((c) => html`<td class="num">${typeof v[c] === "number" ? String(v[c]) : "0"}</td>`)}</tr>`)}
</tbody></table>`;
}
