import { randomInt } from "node:crypto";
import { InvoiceType, type StockItem, formatBeijingTimestamp } from "../contract/index.js";
import { newId } from "../lib/ids.js";
import type { KeyRing } from "../security/key-ring.js";
import type { AccountRepo, SupplierRow } from "../store/repos/account-repo.js";
import type { OrderRepo, OrderRow } from "../store/repos/order-repo.js";
import type { ProductRepo, ProductRow } from "../store/repos/product-repo.js";
import type { ReferenceRepo } from "../store/repos/reference-repo.js";
import { backoffDelayMs } from "../supplier/retry-policy.js";
import type { CallResult } from "../supplier/supplier-error.js";
import type { FieldIssue } from "../lib/errors.js";
import { OrderError, type OrderOutcome, invalid } from "./order-errors.js";
import { type OrderInput, parseOrderInput } from "./order-input.js";
import { sealConsignee, sealInvoiceBank } from "./order-personal-data.js";

/** One order line as stored: the agreement price is the store's at intake, in fen. */
export type OrderLine = { sku: string; num: number; priceFen: number; name: string | null };

/**
 * Freight, in fen. The contract leaves freight to the parties; until the mall sets a per-supplier
 * rule this one is what the e-mall's buyers see: free from 99 元 of goods, else 10 元.
 */
export type FreightRule = { freeFromFen: number; flatFen: number };
export const DEFAULT_FREIGHT_RULE: FreightRule = { freeFromFen: 9_900, flatFen: 1_000 };

export function freightFen(goodsFen: number, rule: FreightRule): number {
  return goodsFen >= rule.freeFromFen ? 0 : rule.flatFen;
}

/** What the supplier answered to S-8 for one area, and when it was asked. */
export type StockAnswer = { area: string; checkedAt: number; items: StockItem[] };

/** S-8 for one supplier in one `province_city_county` area. */
export type StockCheck = (supplierId: number, skus: readonly string[], area: string) => Promise<CallResult<StockItem[]>>;

/** The production gate as intake sees it: why the supplier may not be called (null: it may). */
export type StockGate = { refusal(supplierId: number, supplierCode: string): Promise<Error | null> };

export type IntakeDeps = {
  accounts: AccountRepo;
  products: ProductRepo;
  reference: ReferenceRepo;
  orders: OrderRepo;
  keys: KeyRing;
  stock: StockCheck;
  /** S-8 is a supplier call like any other: only through the production gate. */
  gate: StockGate;
  clock: () => number;
  freight?: FreightRule;
  stockRetry?: Partial<StockRetryPolicy>;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
};

/**
 * S-8 at intake is asked again when it fails for a passing reason (network, 5xx, timeout, an
 * unsigned or "please retry" answer), on top of the client's own retries: staff are waiting, so a
 * few rounds over a few seconds, then the order is not taken. A refusal that decides is not repeated.
 */
export type StockRetryPolicy = {
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** No new round starts after this long: slow timeouts must not hold a waiting caller for minutes. */
  budgetMs: number;
};
export const DEFAULT_STOCK_RETRY: StockRetryPolicy = { maxAttempts: 3, baseDelayMs: 500, maxDelayMs: 2_000, budgetMs: 20_000 };

/** yggc_order: "TJ" + Beijing date + 8 random digits; minted again on the rare collision. */
const YGGC_PREFIX = "TJ";
const YGGC_RANDOM_DIGITS = 8;
const MINT_ATTEMPTS = 5;

export function mintYggcOrder(nowMs: number): string {
  const date = formatBeijingTimestamp(nowMs).slice(0, 10).replaceAll("-", "");
  return `${YGGC_PREFIX}${date}${String(randomInt(0, 10 ** YGGC_RANDOM_DIGITS)).padStart(YGGC_RANDOM_DIGITS, "0")}`;
}

/** Why a stored product cannot be put on an order (null: it can); the order form hides its 加入 then. */
export function whyNotOrderable(p: Pick<ProductRow, "sku" | "status" | "shelfState" | "priceFen">): string | null {
  if (p.status !== "active") return `${p.sku} is ${p.status} and cannot be ordered`;
  if (p.shelfState !== 1) return `${p.sku} is off shelf (已下架)`;
  if (p.priceFen === null || p.priceFen <= 0) return `${p.sku} has no agreement price in the store`;
  return null;
}

export type Intake = ReturnType<typeof createOrderIntake>;

/**
 * Turns staff input into a stored `created` order: every field checked, every sku active and on
 * shelf in the mall's store, prices from the store (never the caller), stock asked of the
 * supplier for the consignee's area (S-8), totals and freight in fen, personal data sealed.
 */
export function createOrderIntake(deps: IntakeDeps) {
  const rule = deps.freight ?? DEFAULT_FREIGHT_RULE;
  const stockRetry: StockRetryPolicy = { ...DEFAULT_STOCK_RETRY, ...deps.stockRetry };
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const random = deps.random ?? Math.random;

  /** S-8, repeated with backoff while it fails transiently (failure-class.ts), at most `maxAttempts` times. */
  const askStock: StockCheck = async (supplierId, skus, area) => {
    const started = performance.now();
    for (let attempt = 1; ; attempt++) {
      const answer = await deps.stock(supplierId, skus, area);
      if (answer.ok || attempt >= stockRetry.maxAttempts) return answer;
      const cls = answer.error.failureClass;
      if (cls !== "transient" && cls !== "relogin") return answer;
      const delay = backoffDelayMs({ ...stockRetry }, attempt, random);
      if (performance.now() - started + delay > stockRetry.budgetMs) return answer;
      await sleep(delay);
    }
  };

  const areaIssues = async (o: OrderInput): Promise<FieldIssue[]> => {
    const issues: FieldIssue[] = [];
    const province = await deps.reference.areaByCode(o.province);
    if (province?.level !== 1) issues.push({ field: "province", message: `${o.province} is not a province code (GB/T 2260)` });
    const city = await deps.reference.areaByCode(o.city);
    if (city?.level !== 2 || city.parentCode !== o.province) issues.push({ field: "city", message: `${o.city} is not a city of province ${o.province}` });
    const county = await deps.reference.areaByCode(o.county);
    if (county?.level !== 3 || county.parentCode !== o.city) issues.push({ field: "county", message: `${o.county} is not a county of city ${o.city}` });
    return issues;
  };

  const productIssues = (o: OrderInput, found: Map<string, ProductRow>): FieldIssue[] =>
    o.items.flatMap((item, i): FieldIssue[] => {
      const field = `items[${i}].sku`;
      const p = found.get(item.sku);
      if (!p) return [{ field, message: `${item.sku} is not in the mall's product store for supplier ${o.supplier}` }];
      const why = whyNotOrderable(p);
      return why === null ? [] : [{ field, message: why }];
    });

  const stockIssues = (o: OrderInput, items: readonly StockItem[]): FieldIssue[] => {
    const bySku = new Map(items.map((s) => [s.sku, s]));
    return o.items.flatMap((item, i): FieldIssue[] => {
      const s = bySku.get(item.sku);
      if (!s) return [{ field: `items[${i}].sku`, message: `${item.sku}: the supplier no longer offers it (S-8 has no answer for it)` }];
      // -1: made to order, quantity unknown; the supplier's 有货 is the answer then (§5 S-8).
      const enough = s.num === -1 ? s.desc === "有货" : s.num >= item.num;
      return enough
        ? []
        : [{ field: `items[${i}].num`, message: `${item.num} wanted, ${s.num === -1 ? s.desc : `${s.num} available`} in ${s.area} (库存不足)` }];
    });
  };

  /**
   * S-8 asked through `ask` (one round, or askStock's rounds), its failure said as the order error
   * staff read: held by the production gate, not connected, refused by the supplier, or failed by class.
   */
  const stockAnswer = async (
    supplier: Pick<SupplierRow, "id" | "code">,
    skus: readonly string[],
    area: string,
    ask: StockCheck,
    rounds: number,
  ): Promise<OrderOutcome<StockItem[]>> => {
    const closed = await deps.gate.refusal(supplier.id, supplier.code);
    if (closed) return { ok: false, error: new OrderError("gate_closed", closed.message) };
    let answer: CallResult<StockItem[]>;
    try {
      answer = await ask(supplier.id, skus, area);
    } catch (e) {
      // Not connected (no client to ask): the stock cannot be checked.
      return {
        ok: false,
        error: new OrderError("unavailable", `stock check (S-8) with ${supplier.code} not possible: ${e instanceof Error ? e.message : String(e)}`),
      };
    }
    if (answer.ok) return { ok: true, value: answer.value };
    const e = answer.error;
    const why =
      e.failureClass === "business"
        ? "refused"
        : `failed (${e.failureClass}${e.failureClass === "transient" && rounds > 1 ? `, after up to ${rounds} rounds` : ""})`;
    return { ok: false, error: new OrderError("unavailable", `stock check (S-8) with ${supplier.code} ${why}: ${e.detail}`) };
  };

  const checkStock = async (supplier: SupplierRow, o: OrderInput, area: string): Promise<OrderOutcome<null>> => {
    const answer = await stockAnswer(
      supplier,
      o.items.map((i) => i.sku),
      area,
      askStock,
      stockRetry.maxAttempts,
    );
    if (!answer.ok) return answer;
    const issues = stockIssues(o, answer.value);
    if (issues.length > 0) return invalid(issues);
    await keepStock(supplier.id, area, answer.value);
    return { ok: true, value: null };
  };

  /** The supplier's answer is the freshest stock the mall knows: product pages show it too. */
  const keepStock = async (supplierId: number, area: string, items: readonly StockItem[]): Promise<number> => {
    const now = deps.clock();
    await deps.products.saveStock(
      items.map((s) => ({ supplierId, sku: s.sku, area, num: s.num, stockStateId: s.stockStateId ?? null, description: s.desc, checkedAt: now })),
    );
    return now;
  };

  return {
    /**
     * S-8 for the order form: the supplier's stock of `skus` in one `province_city_county` area,
     * asked now, in one batch (the client splits at 100). One round only: the form asks again on
     * the next search, and the order itself is checked again at intake.
     */
    async stockIn(supplier: Pick<SupplierRow, "id" | "code">, skus: readonly string[], area: string): Promise<OrderOutcome<StockAnswer>> {
      if (skus.length === 0) return { ok: true, value: { area, checkedAt: deps.clock(), items: [] } };
      const answer = await stockAnswer(supplier, skus, area, deps.stock, 1);
      return answer.ok ? { ok: true, value: { area, checkedAt: await keepStock(supplier.id, area, answer.value), items: answer.value } } : answer;
    },

    async create(raw: unknown, actor: string): Promise<OrderOutcome<OrderRow>> {
      const parsed = parseOrderInput(raw);
      if (!parsed.ok) return invalid(parsed.issues);
      const o = parsed.value;
      const supplier = await deps.accounts.supplierByCode(o.supplier);
      if (!supplier || supplier.status !== "active") return invalid([{ field: "supplier", message: `no active supplier with code ${o.supplier}` }]);
      const found = await deps.products.bySkus(
        supplier.id,
        o.items.map((i) => i.sku),
      );
      const issues = [...(await areaIssues(o)), ...productIssues(o, found)];
      if (issues.length > 0) return invalid(issues);

      const area = `${o.province}_${o.city}_${o.county}`;
      const stock = await checkStock(supplier, o, area);
      if (!stock.ok) return stock;

      const lines: OrderLine[] = o.items.map((item) => {
        const p = found.get(item.sku);
        return { sku: item.sku, num: item.num, priceFen: p?.priceFen ?? 0, name: p?.name ?? null };
      });
      const goodsFen = lines.reduce((sum, l) => sum + l.priceFen * l.num, 0);
      const freight = freightFen(goodsFen, rule);
      const now = deps.clock();
      const base = {
        supplierId: supplier.id,
        state: "created" as const,
        linesJson: JSON.stringify(lines),
        goodsFen,
        freightFen: freight,
        orderPriceFen: goodsFen + freight,
        province: o.province,
        city: o.city,
        county: o.county,
        town: o.town ?? null,
        consigneeEnc: sealConsignee(deps.keys, { name: o.name, phone: o.phone, mobile: o.mobile, address: o.address, zip: o.zip, email: o.email }),
        depName: o.dep_name ?? null,
        invoiceType: o.invoice_type,
        invoiceTitle: o.invoice_title,
        invoiceOrgCode: o.invoice_org_code,
        invoiceEnc:
          o.invoice_type === InvoiceType.VatSpecial
            ? sealInvoiceBank(deps.keys, {
                invoice_name: o.invoice_name ?? "",
                invoice_phone: o.invoice_phone ?? "",
                invoice_bank: o.invoice_bank ?? "",
                invoice_bank_code: o.invoice_bank_code ?? "",
                invoice_address: o.invoice_address ?? "",
                invoice_mobile: o.invoice_mobile ?? "",
                invoice_receipt_address: o.invoice_receipt_address ?? "",
              })
            : null,
        payment: o.payment,
        remark: o.remark ?? null,
        nextAttemptAt: now,
        createdBy: actor,
        createdAt: now,
        updatedAt: now,
      };
      for (let attempt = 0; attempt < MINT_ATTEMPTS; attempt++) {
        const row = { ...base, id: newId("ord"), yggcOrder: mintYggcOrder(now) };
        if (await deps.orders.insert(row, { at: now, actor, fromState: null, toState: "created", step: "create" })) {
          const stored = await deps.orders.byId(row.id);
          if (stored) return { ok: true, value: stored };
        }
      }
      return { ok: false, error: new OrderError("conflict", `could not mint a free yggc_order in ${MINT_ATTEMPTS} attempts`) };
    },
  };
}
