import type { z } from "zod";
import type { AdminError, AdminErrorCode } from "../admin-errors.js";
import type { AdminUserRow } from "../../store/repos/admin-repo.js";
import { LABELS } from "./labels.js";
import { ROLE_NAMES } from "./layout.js";

/**
 * What the console says when something is refused. The admin API keeps its codes, fields and
 * English messages for scripts; a person in the console reads zh-CN. Route schemas are checked
 * under the zod error map below; messages the domain wrote in English (order rules, listing and
 * push conflicts) are rendered from a table, and anything unknown falls back to a zh-CN sentence
 * for its code rather than showing the English.
 */

const TYPE_NAMES: Record<string, string> = { string: "文本", number: "数字", int: "整数", boolean: "是或否", array: "列表", object: "对象", date: "日期" };

/** The console's zod error map: every issue a route schema can raise, in zh-CN. */
export const zhErrorMap: z.core.$ZodErrorMap = (issue) => {
  if (issue.input === undefined) return "必填";
  switch (issue.code) {
    case "invalid_type":
      return `格式不对，应为${TYPE_NAMES[issue.expected] ?? "正确的格式"}`;
    case "too_small":
      return sizeText(issue.origin, "min", Number(issue.minimum), issue.inclusive !== false);
    case "too_big":
      return sizeText(issue.origin, "max", Number(issue.maximum), issue.inclusive !== false);
    case "invalid_value":
      return "取值不在可选范围内，请从列表中选择";
    case "invalid_format":
      return issue.format === "email" ? "电子邮件格式不对" : issue.format === "url" ? "网址格式不对" : "格式不对";
    case "unrecognized_keys":
      return `不认识的字段：${issue.keys.join("、")}`;
    case "not_multiple_of":
      return `应为 ${String(issue.divisor)} 的倍数`;
    default:
      return "输入有误";
  }
};

function sizeText(origin: string, side: "min" | "max", n: number, inclusive: boolean): string {
  const bound = inclusive ? n : side === "min" ? n + 1 : n - 1;
  if (origin === "string") return side === "min" ? (bound <= 1 ? "不能为空" : `至少 ${bound} 个字符`) : `最多 ${bound} 个字符`;
  if (origin === "array" || origin === "set") return side === "min" ? (bound <= 1 ? "至少填写一项" : `至少 ${bound} 项`) : `最多 ${bound} 项`;
  return side === "min" ? `不能小于 ${bound}` : `不能大于 ${bound}`;
}

type Rule = readonly [RegExp, (m: RegExpExecArray) => string];
const listing = (s: string) => (LABELS.listing as Record<string, string>)[s] ?? s;
const order = (s: string) => (LABELS.orderState as Record<string, string>)[s] ?? s;
const VERBS: Record<string, string> = { apply: "申请上架", approve: "批准上架", refuse: "拒绝上架" };

/** Field messages the product writes in English (schema messages, order rules, zod's defaults behind domain parsing). */
const FIELD_RULES: readonly Rule[] = [
  [/^required$/, () => "必填"],
  [/^a whole number$/, () => "应为整数"],
  [/^nothing to change$/, () => "没有要修改的内容"],
  [/^wrong password$/, () => "当前密码不正确"],
  [/^only for role supplier$/, () => "只有电商用户属于某个电商"],
  [/^required for role supplier$/, () => "电商用户须选择所属电商"],
  [/^required to refuse$/, () => "拒绝时须填写理由"],
  [/^not valid JSON$/, () => "不是有效的 JSON"],
  [/^an area code \(GB\/T 2260\)$/, () => "应为 6 位地区代码（GB/T 2260）"],
  [/^2–32 of /, () => "2–32 位字母、数字、_ 或 -"],
  [/^a host name such as (.+)$/, (m) => `应为域名，如 ${m[1]}`],
  [/^digits, \+ or -$/, () => "只能包含数字、+ 或 -"],
  [/^统一社会信用代码 invalid/, () => "统一社会信用代码无效（GB 32100 校验位不符）"],
  [/^epoch ms or /, () => "应为日期时间，如 2026-01-31T08:00（北京时间）"],
  [/is not a date-time$/, () => "不是有效的日期时间"],
  [/cron/, () => "不是有效的 cron 表达式（如 */5 * * * *）"],
  [/^at least (\d+) characters?$/, (m) => `至少 ${m[1]} 个字符`],
  [/^at most (\d+) characters?$/, (m) => `最多 ${m[1]} 个字符`],
  [/^phone or mobile is required/, () => "手机与座机至少填写一项"],
  [/^not an 11-digit mainland mobile number$/, () => "应为 11 位手机号码"],
  [/^not a 6-digit postcode$/, () => "应为 6 位邮政编码"],
  [/^not an email address$/, () => "电子邮件格式不对"],
  [/^required for invoice_type 2/, () => "增值税专用发票须填写"],
  [/^(.+) repeats items\[(\d+)\]/, (m) => `${m[1]} 与第 ${Number(m[2]) + 1} 行重复，请把数量写在同一行`],
  [/^(\S+) is not a province code/, (m) => `${m[1]} 不是省级地区代码`],
  [/^(\S+) is not a city of province (\S+)$/, (m) => `${m[1]} 不是所选省（${m[2]}）下的市`],
  [/^(\S+) is not a county of city (\S+)$/, (m) => `${m[1]} 不是所选市（${m[2]}）下的区县`],
  [/^(.+) is not in the mall's product store for supplier (\S+)$/, (m) => `${m[1]} 不在电商 ${m[2]} 的商品库中`],
  [/^(.+) is (\w+) and cannot be ordered$/, (m) => `${m[1]} ${(LABELS.productStatus as Record<string, string>)[m[2] ?? ""] ?? "状态不符"}，不能下单`],
  [/^(.+) is off shelf/, (m) => `${m[1]} 已下架`],
  [/^(.+) has no agreement price in the store$/, (m) => `${m[1]} 在商品库中没有协议价`],
  [/^(.+): the supplier no longer offers it/, (m) => `电商已不再供应 ${m[1]}`],
  [/^(\d+) wanted, (.+) in (\S+) \(库存不足\)$/, (m) => `库存不足：需要 ${m[1]}，地区 ${m[3]} ${(m[2] ?? "").replace(/^(\d+) available$/, "可售 $1")}`],
  [/^no active supplier with code (.+)$/, (m) => `电商 ${m[1]} 不存在或已停用`],
  // zod's own English, from domain parsing the console does not run itself.
  [/^Invalid input: expected (\w+), received/, (m) => `格式不对，应为${TYPE_NAMES[m[1] ?? ""] ?? "正确的格式"}`],
  [/^Too small: expected (\w+) to (?:have|be) (>=?)(\d+)/, (m) => sizeText(m[1] ?? "", "min", Number(m[3]), m[2] === ">=")],
  [/^Too big: expected (\w+) to (?:have|be) (<=?)(\d+)/, (m) => sizeText(m[1] ?? "", "max", Number(m[3]), m[2] === "<=")],
  [/^Invalid option/, () => "取值不在可选范围内，请从列表中选择"],
  [/^Invalid email/, () => "电子邮件格式不对"],
  [/^Invalid string/, () => "格式不对"],
  [/^Unrecognized keys?: (.+)$/, (m) => `不认识的字段：${m[1]}`],
];

/** Whole-error messages the admin API and the domain write in English, as staff read them. */
const MESSAGE_RULES: readonly Rule[] = [
  [/^no supplier with code (.+)$/, (m) => `电商 ${m[1]} 不存在。`],
  [/^no product (.+) of (\S+)$/, (m) => `电商 ${m[2]} 没有商品 ${m[1]}。`],
  [/^no run (.+)$/, (m) => `同步批次 ${m[1]} 不存在。`],
  [/^no sync message log (.+)$/, (m) => `消息日志 #${m[1]} 不存在。`],
  [/^no order (.+)$/, (m) => `订单 ${m[1]} 不存在。`],
  [/^no conformance run (.+)$/, (m) => `对接测试 ${m[1]} 不存在。`],
  [/^run (.+) issued no trust mark$/, (m) => `对接测试 ${m[1]} 没有签发信任标识。`],
  [/^no user (.+)$/, (m) => `用户 ${m[1]} 不存在。`],
  [/^user (.+) exists$/, (m) => `用户名 ${m[1]} 已存在。`],
  [/^a supplier user needs the supplier/, () => "电商用户须选择所属电商。"],
  [/^only a supplier user is bound to a supplier/, () => "只有电商用户属于某个电商；员工账号请不要选择电商。"],
  [/^the current password is wrong$/, () => "当前密码不正确。"],
  [/^refusing a listing needs the reason/, () => "拒绝上架须填写理由，电商会看到它。"],
  [/^(.+) is (\w+); only a validated \(active\) product can be listed$/, (m) => `商品 ${m[1]} 未通过校验，只有通过校验的商品可以申请上架。`],
  [/^(.+) is (\w+); (apply|approve|refuse) needs /, (m) => `商品 ${m[1]} 的上架申请当前为「${listing(m[2] ?? "")}」，不能${VERBS[m[3] ?? ""] ?? "这样操作"}。`],
  [/^(.+) changed while this was decided/, (m) => `商品 ${m[1]} 刚刚有了变化，请刷新页面后再试。`],
  [/^a run for (\S+) is in progress/, (m) => `电商 ${m[1]} 正有一次同步在进行，请在它结束后再试。`],
  [/^order (\S+) is being (?:pushed|handled) right now/, (m) => `订单 ${m[1]} 正在推送，请稍后再试。`],
  [/^order (\S+) was taken over while reopening$/, (m) => `订单 ${m[1]} 已由另一处理接手，请刷新页面。`],
  [
    /^order (\S+) is (\w+)(?: \((\w+)\))?; /,
    (m) => `订单 ${m[1]} 当前为「${order(m[2] ?? "")}」${m[3] ? `（${(LABELS.failureKind as Record<string, string>)[m[3]] ?? "失败"}）` : ""}，不能这样操作。`,
  ],
  [/^order pushes to (\S+) are not paused$/, (m) => `电商 ${m[1]} 的订单推送没有暂停。`],
  [/^could not mint a free yggc_order/, () => "未能生成新的订单号，请再提交一次。"],
  [/^stock check \(S-8\) with (\S+)/, (m) => `向电商 ${m[1]} 查询库存（S-8）没有成功，请稍后再试。`],
  [/^supplier (\S+) is not connected/, (m) => `电商 ${m[1]} 尚未对接接口。`],
  [/^supplier (\S+) has no mall account$/, (m) => `电商 ${m[1]} 没有卖场账号。`],
  [/^supplier code (\S+) exists$/, (m) => `电商代码 ${m[1]} 已存在。`],
  [/^credit code (\S+) is already registered$/, (m) => `统一社会信用代码 ${m[1]} 已登记。`],
  [/^username (\S+) is taken$/, (m) => `账号 ${m[1]} 已被占用。`],
  [/^a reason is required$/, () => "须填写原因。"],
  [
    /^a certification run of (\S+) is already (queued|running): (\S+)$/,
    (m) => `电商 ${m[1]} 已有一次认证测试${m[2] === "queued" ? "在排队" : "正在进行"}（${m[3]}），请等它结束后再发起。`,
  ],
  [
    /^(\S+) has asked for (\d+) certification runs today/,
    (m) => `电商 ${m[1]} 今天已发起 ${m[2]} 次认证测试，达到每日上限（CONFORMANCE_RUNS_PER_DAY），请明天（北京时间）再试。`,
  ],
  [/^supplier (\S+) has no trust mark$/, (m) => `电商 ${m[1]} 还没有信任标识。`],
  [/^supplier (\S+) has no gate waiver$/, (m) => `电商 ${m[1]} 没有准入豁免，无可撤回。`],
  [
    /^the trust mark (\S+) of (\S+) is already (\w+)$/,
    (m) => `电商 ${m[2]} 的信任标识 ${m[1]} 已经${m[3] === "revoked" ? "撤销" : m[3] === "suspended" ? "暂停" : "是此状态"}。`,
  ],
  [
    /^supplier (\S+) (?:has )?(?:no production trust mark|.*); not pulled, not asked for stock and no orders pushed/,
    (m) => `电商 ${m[1]} 未通过生产准入（无有效信任标识且未豁免），不拉取消息、不查询库存，也不推送订单。`,
  ],
];

const GENERIC: Record<AdminErrorCode, string> = {
  invalid_input: "输入有误，请检查后再提交。",
  unauthenticated: "请先登录。",
  forbidden: "您无权执行此操作。",
  csrf_failed: "页面已过期（安全校验未通过），请刷新页面后重试。",
  not_found: "未找到：该记录不存在，或不在您可查看的范围内。",
  conflict: "操作与当前状态冲突，请刷新页面后再试。",
  payload_too_large: "提交的内容过大。",
  unsupported_media_type: "提交的格式不受支持。",
  locked: "登录失败次数过多，请 15 分钟后再试。",
  rate_limited: "已达到次数上限，请稍后再试。",
  supplier_unavailable: "电商接口暂时无法访问，请稍后再试。",
  internal: "内部错误，请把请求编号告诉运维人员。",
};

export const ERROR_TITLES: Record<AdminErrorCode, string> = {
  invalid_input: "输入有误",
  unauthenticated: "请先登录",
  forbidden: "无权访问",
  csrf_failed: "页面已过期",
  not_found: "未找到",
  conflict: "操作未完成",
  payload_too_large: "内容过大",
  unsupported_media_type: "格式不受支持",
  locked: "暂时锁定",
  rate_limited: "次数已达上限",
  supplier_unavailable: "电商接口不可用",
  internal: "操作未完成",
};

const apply = (rules: readonly Rule[], text: string): string | undefined => {
  for (const [re, to] of rules) {
    const m = re.exec(text);
    if (m) return to(m);
  }
  return undefined;
};

/** A field's message in zh-CN; one the console does not know reads as a plain "输入有误". */
export const fieldText = (message: string): string =>
  /[\u4e00-\u9fff]/.test(message) && !/[A-Za-z]{3,}/.test(message) ? message : (apply(FIELD_RULES, message) ?? "输入有误");

/** The error's message in zh-CN for this caller. */
export function errorText(err: AdminError, user?: AdminUserRow): string {
  if (err.code === "forbidden") return user ? `您的角色（${ROLE_NAMES[user.role]}）无权执行此操作或查看此页面。` : GENERIC.forbidden;
  if (err.code === "invalid_input" && err.fields.length > 0) return "请按下列提示修改后再提交。";
  if (err.code === "locked" || err.code === "csrf_failed" || err.code === "internal" || err.code === "unauthenticated") return GENERIC[err.code];
  return apply(MESSAGE_RULES, err.message) ?? GENERIC[err.code];
}

/** Form field names as the console's labels read them, for errors listed away from their form. */
export const FIELD_LABELS: Record<string, string> = {
  reason: "原因",
  note: "拒绝理由",
  code: "电商代码",
  name: "名称",
  creditCode: "统一社会信用代码",
  domains: "商品域名",
  contactName: "联系人",
  contactPhone: "联系电话",
  signMode: "签名方式",
  bodyFormat: "报文编码",
  pullSchedule: "拉取计划",
  stockSchedule: "库存计划",
  maxConcurrent: "并发",
  qps: "QPS",
  timeoutMs: "超时",
  stockAreas: "库存地区",
  password: "密码",
  appSecret: "appSecret",
  enabled: "状态",
  messageIds: "消息",
  supplier: "电商",
  all: "全部",
  username: "用户名",
  role: "角色",
  currentPassword: "当前密码",
  newPassword: "新密码",
  before: "分页位置",
  afterId: "分页位置",
  limit: "每页条数",
  type: "消息类型",
  outcome: "结果",
  state: "状态",
  from: "起始时间",
  to: "截止时间",
  sku: "SKU",
  province: "省",
  city: "市",
  county: "区县",
  items: "商品",
  runId: "批次",
  status: "状态",
  listingState: "上架申请",
  id: "编号",
  yggcOrder: "订单号",
  q: "查找内容",
  actor: "操作人",
  action: "操作",
  target: "对象",
  hours: "小时数",
  days: "天数",
  reveal: "显示个人信息",
  catalog: "品目",
  brand: "品牌",
  day: "日期",
  decision: "裁决",
  baseUrl: "测试环境地址",
  encoding: "请求编码",
};

/** `body.items[0].num` → the form field it belongs to (`items`). */
export const formFieldOf = (path: string) =>
  path
    .replace(/^(body|query|params)\.?/, "")
    .replace(/\[.*$/, "")
    .replace(/\..*$/, "");

export const fieldLabel = (path: string) => FIELD_LABELS[formFieldOf(path)] ?? "";
