import { z } from "zod";
import { isWireDate, parseBeijingTimestamp } from "./time.js";
import { yuanToFen } from "./money.js";

/**
 * Building blocks for wire fields. In form mode every field arrives as a string (§1), in JSON
 * mode a sender may use numbers, so inputs accept both and outputs are normalized.
 */

/** A text field: a string, or a number sent by a JSON client, trimmed and bounded. */
export const wireText = (max: number) => z.union([z.string(), z.number().transform(String)]).pipe(z.string().trim().min(1).max(max));

export const wireId = (max = 64) => wireText(max).describe("An identifier; a string on the wire even when numeric.");

/** An integer field; numeric strings are accepted (form bodies carry only strings). */
export const wireInt = (min: number, max: number) =>
  z
    .union([
      z.number(),
      z
        .string()
        .trim()
        .regex(/^-?\d+$/, "应为整数")
        .transform(Number),
    ])
    .pipe(z.number().int().min(min).max(max));

/** A closed set of small integer codes, e.g. shelf state 1/0. */
export const wireCode = <const T extends readonly [number, ...number[]]>(values: T) =>
  z
    .union([
      z.number(),
      z
        .string()
        .trim()
        .regex(/^-?\d+$/, "应为整数")
        .transform(Number),
    ])
    .pipe(z.number().int())
    .refine((n): n is T[number] => (values as readonly number[]).includes(n), {
      message: `取值应为 ${values.join("/")}`,
    }) as unknown as z.ZodType<T[number], number | string>;

/** 1/0 flags as the lineage sends them. */
export const wireFlag = wireCode([0, 1] as const);

/** Yuan amount: a JSON number (or numeric string in form bodies), ≥ 0, at most 2 decimals. §1 */
export const wireMoney = z
  .union([
    z.number(),
    z
      .string()
      .trim()
      .regex(/^\d+(\.\d+)?$/, "应为金额")
      .transform(Number),
  ])
  .pipe(z.number().nonnegative())
  .refine((n) => yuanToFen(n) !== null, { message: "金额最多两位小数" })
  .describe("Yuan, tax included, at most 2 decimals.");

/**
 * A money amount as a supplier reports it in a result. Parsed loosely (number or numeric string)
 * because decimals and price rules are product validation (§7), which must record them, not crash.
 */
export const reportedMoney = z
  .union([
    z.number(),
    z
      .string()
      .trim()
      .regex(/^\d+(\.\d+)?$/)
      .transform(Number),
  ])
  .pipe(z.number().nonnegative())
  .describe("Yuan as reported by the supplier.");

export const wireTimestamp = z
  .string()
  .refine((text) => parseBeijingTimestamp(text) !== null, { message: "时间格式应为 yyyy-MM-dd HH:mm:ss" })
  .describe("yyyy-MM-dd HH:mm:ss, Beijing time (UTC+8).");

export const wireDate = z.string().refine(isWireDate, { message: "日期格式应为 yyyy-MM-dd" }).describe("yyyy-MM-dd.");

/** §3: at most 100 skus per batch call. */
export const MAX_BATCH = 100;
export const SKU_MAX_LENGTH = 64;

/** A comma-separated sku batch without spaces, ≤ 100 entries (§3); parsed into a list. */
export const skuBatch = z
  .union([z.string(), z.number().transform(String)])
  .pipe(
    z
      .string()
      .regex(/^[^\s,]+(,[^\s,]+)*$/, "sku 应为逗号分隔、无空格的列表")
      .transform((text) => text.split(","))
      .pipe(
        z
          .array(z.string().max(SKU_MAX_LENGTH))
          .max(MAX_BATCH, { message: `sku数量超过${MAX_BATCH}` })
          .transform((list) => [...new Set(list)]),
      ),
  )
  .describe("Comma-separated skus, no spaces, at most 100.");

/** A field that carries JSON text on the wire (§1); JSON clients may send the structure itself. */
export const jsonText = <T extends z.ZodType>(inner: T) =>
  z
    .union([
      z.string().transform((text, ctx) => {
        try {
          return JSON.parse(text) as unknown;
        } catch {
          ctx.addIssue({ code: "custom", message: "应为 JSON 文本" });
          return z.NEVER;
        }
      }),
      z.array(z.unknown()),
      z.record(z.string(), z.unknown()),
    ])
    .pipe(inner);

/** GB/T 2260 area code. */
export const areaCode = z.union([z.string(), z.number().int().transform(String)]).pipe(
  z
    .string()
    .trim()
    .regex(/^\d{6}$/, "应为6位行政区划代码"),
);

/** `province_city_county`, e.g. 120000_120100_120101. §4 M-6 */
export const areaPath = z
  .string()
  .trim()
  .regex(/^\d{6}_\d{6}_\d{6}$/, "地区应为 省_市_区县 的6位代码")
  .describe("province_city_county, GB/T 2260 codes, e.g. 120000_120100_120101.");
