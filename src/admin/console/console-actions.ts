import type { SupplierView } from "../../accounts/supplier-accounts.js";
import type { OrderView } from "../../orders/order-service.js";
import type { ConsoleAction } from "./console-kit.js";
import { credentialsCard } from "./pages/supplier-pages.js";

const list = (text: string | undefined) =>
  (text ?? "")
    .split(/[,，\s]+/)
    .map((s) => s.trim())
    .filter(Boolean);
const optional = (text: string | undefined) => (text === undefined || text.trim() === "" ? undefined : text.trim());
/** A form number stays a string when it is not one, so the API names the field instead of guessing. */
const num = (text: string | undefined) => (text !== undefined && /^\d+$/.test(text.trim()) ? Number(text) : optional(text));
const bool = (text: string | undefined) => (text === "true" ? true : text === "false" ? false : text);

/** "SKU 数量" per line → [{sku, num}]; a line without a quantity orders one. */
function orderItems(text: string | undefined) {
  return (text ?? "")
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean)
    .map((line) => {
      const [sku = "", n] = line.split(/[\s,，×x*]+/);
      return { sku, num: n === undefined ? 1 : (num(n) ?? n) };
    });
}

const ORDER_FIELDS = [
  "supplier",
  "name",
  "mobile",
  "phone",
  "province",
  "city",
  "county",
  "address",
  "zip",
  "email",
  "dep_name",
  "invoice_title",
  "invoice_org_code",
  "remark",
  "invoice_name",
  "invoice_phone",
  "invoice_mobile",
  "invoice_bank",
  "invoice_bank_code",
  "invoice_address",
  "invoice_receipt_address",
] as const;

/** The console's form posts, each one admin API route; its roles, validation and audit apply unchanged. */
export const consoleActions: readonly ConsoleAction[] = [
  {
    path: "/suppliers/:code/production-conformance/:day/decide",
    route: ["POST", "/suppliers/:code/production-conformance/:day/decide"],
    input: (f) => ({ body: { decision: f.decision, reason: f.reason ?? "" } }),
    done: (_r, p) => ({ redirect: `/admin/suppliers/${p.code ?? ""}`, message: "saved" }),
  },
  {
    path: "/conformance/runs",
    route: ["POST", "/conformance/runs"],
    rerender: "/conformance/runs",
    // Secrets left empty are the registered sandbox's.
    input: (f) => ({
      body: {
        supplier: optional(f.supplier),
        baseUrl: f.baseUrl,
        username: f.username,
        password: optional(f.password),
        appSecret: optional(f.appSecret),
        signMode: optional(f.signMode),
        encoding: optional(f.encoding),
      },
    }),
    done: (r) => ({ redirect: `/admin/conformance/runs/${(r as { run: { id: string } }).run.id}`, message: "queued" }),
  },
  {
    path: "/suppliers/:code/trust-mark/suspend",
    route: ["POST", "/suppliers/:code/trust-mark/suspend"],
    input: (f) => ({ body: { reason: f.reason ?? "" } }),
    done: (_r, p) => ({ redirect: `/admin/suppliers/${p.code ?? ""}`, message: "saved" }),
  },
  {
    path: "/suppliers/:code/trust-mark/revoke",
    route: ["POST", "/suppliers/:code/trust-mark/revoke"],
    input: (f) => ({ body: { reason: f.reason ?? "" } }),
    done: (_r, p) => ({ redirect: `/admin/suppliers/${p.code ?? ""}`, message: "saved" }),
  },
  {
    path: "/suppliers/:code/gate-waiver",
    route: ["POST", "/suppliers/:code/gate-waiver"],
    input: (f) => ({ body: { reason: f.reason ?? "" } }),
    done: (_r, p) => ({ redirect: `/admin/suppliers/${p.code ?? ""}`, message: "saved" }),
  },
  {
    path: "/suppliers/:code/gate-waiver/withdraw",
    route: ["POST", "/suppliers/:code/gate-waiver/withdraw"],
    input: (f) => ({ body: { reason: f.reason ?? "" } }),
    done: (_r, p) => ({ redirect: `/admin/suppliers/${p.code ?? ""}`, message: "saved" }),
  },
  {
    path: "/suppliers",
    route: ["POST", "/suppliers"],
    input: (f) => ({
      body: {
        code: f.code,
        name: f.name,
        creditCode: f.creditCode,
        domains: list(f.domains),
        contactName: optional(f.contactName),
        contactPhone: optional(f.contactPhone),
      },
    }),
    done: (r) => {
      const { supplier, credentials } = r as { supplier: SupplierView; credentials: { username: string; password: string; appSecret: string } };
      return { title: `已登记电商 ${supplier.code}`, body: credentialsCard(`已为 ${supplier.name} 签发卖场账号：`, credentials) };
    },
  },
  {
    path: "/suppliers/:code/connection",
    route: ["PATCH", "/suppliers/:code/connection"],
    input: (f) => ({
      body: Object.fromEntries(
        Object.entries({
          signMode: optional(f.signMode),
          bodyFormat: optional(f.bodyFormat),
          pullSchedule: optional(f.pullSchedule),
          stockSchedule: optional(f.stockSchedule),
          maxConcurrent: num(f.maxConcurrent),
          qps: num(f.qps),
          timeoutMs: num(f.timeoutMs),
          stockAreas: f.stockAreas === undefined ? undefined : list(f.stockAreas),
        }).filter(([, v]) => v !== undefined),
      ),
    }),
    done: (_r, p) => ({ redirect: `/admin/suppliers/${p.code ?? ""}`, message: "saved" }),
  },
  {
    path: "/suppliers/:code/rotate",
    route: ["POST", "/suppliers/:code/rotate"],
    input: (f) => ({ body: { password: bool(f.password), appSecret: bool(f.appSecret) } }),
    done: (r, p) => ({
      title: `电商 ${p.code ?? ""} 的新凭据`,
      body: credentialsCard("已轮换，之前签发的令牌全部失效：", (r as { credentials: { username: string } }).credentials),
    }),
  },
  {
    path: "/suppliers/:code/sign-mode",
    route: ["POST", "/suppliers/:code/sign-mode"],
    input: (f) => ({ body: { signMode: f.signMode } }),
    done: (_r, p) => ({ redirect: `/admin/suppliers/${p.code ?? ""}`, message: "saved" }),
  },
  {
    path: "/suppliers/:code/quarantine/replay",
    route: ["POST", "/sync/replay"],
    input: (f, p) => ({ params: {}, body: f.all === "true" ? { supplier: p.code, all: true } : { supplier: p.code, messageIds: [f.messageId ?? ""] } }),
    done: (_r, p) => ({ redirect: `/admin/suppliers/${p.code ?? ""}/quarantine`, message: "replayed" }),
  },
  {
    path: "/suppliers/:code/status",
    route: ["POST", "/suppliers/:code/status"],
    input: (f) => ({ body: { enabled: bool(f.enabled) } }),
    done: (_r, p) => ({ redirect: `/admin/suppliers/${p.code ?? ""}`, message: "saved" }),
  },
  {
    path: "/suppliers/:code/sync",
    route: ["POST", "/suppliers/:code/sync"],
    input: () => ({ body: {} }),
    done: (r) => ({ redirect: `/admin/sync/runs/${(r as { run: { runId: string } }).run.runId}`, message: "synced" }),
  },
  ...(["apply", "approve", "refuse"] as const).map((verb): ConsoleAction => ({
    path: `/products/:supplier/:sku/listing/${verb}`,
    route: ["POST", `/products/:supplier/:sku/listing/${verb}`],
    input: (f) => ({ body: { note: optional(f.note) } }),
    done: (_r, p) => ({
      redirect: `/admin/products/${encodeURIComponent(p.supplier ?? "")}/${encodeURIComponent(p.sku ?? "")}`,
      message: verb === "apply" ? "applied" : verb === "approve" ? "approved" : "refused",
    }),
  })),
  {
    path: "/orders",
    route: ["POST", "/orders"],
    rerender: "/orders/new",
    input: (f) => ({
      body: {
        ...Object.fromEntries(ORDER_FIELDS.map((k) => [k, optional(f[k])]).filter(([, v]) => v !== undefined)),
        items: orderItems(f.items),
        invoice_type: num(f.invoice_type),
        payment: num(f.payment),
      },
    }),
    done: (r) => ({ redirect: `/admin/orders/${(r as { order: OrderView }).order.yggc_order}`, message: "created" }),
  },
  {
    path: "/orders/:yggcOrder/push",
    route: ["POST", "/orders/:yggcOrder/push"],
    input: () => ({ body: {} }),
    done: (_r, p) => ({ redirect: `/admin/orders/${p.yggcOrder ?? ""}`, message: "pushed" }),
  },
  {
    path: "/orders/:yggcOrder/retry",
    route: ["POST", "/orders/:yggcOrder/retry"],
    input: () => ({ body: {} }),
    done: (_r, p) => ({ redirect: `/admin/orders/${p.yggcOrder ?? ""}`, message: "retried" }),
  },
  {
    path: "/order-pushes/:code/resume",
    route: ["POST", "/order-pushes/:code/resume"],
    input: () => ({ body: {} }),
    done: () => ({ redirect: "/admin/orders", message: "resumed" }),
  },
  {
    path: "/users",
    route: ["POST", "/users"],
    input: (f) => ({ body: { username: f.username, role: f.role, supplier: optional(f.supplier), password: f.password } }),
    done: () => ({ redirect: "/admin/users", message: "created" }),
  },
  {
    path: "/users/:username",
    route: ["PATCH", "/users/:username"],
    input: (f) => ({ body: { role: optional(f.role), supplier: optional(f.supplier), enabled: bool(f.enabled), password: optional(f.password) } }),
    done: () => ({ redirect: "/admin/users", message: "saved" }),
  },
  {
    path: "/account/password",
    route: ["POST", "/session/password"],
    input: (f) => ({ body: { currentPassword: f.currentPassword, newPassword: f.newPassword } }),
    done: () => ({ redirect: "/admin/login", message: "password" }),
  },
];
