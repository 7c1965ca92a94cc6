import {
  AnyEnvelope,
  ErrorCode,
  SIGN_HEADER,
  SIGN_TIMESTAMP_HEADER,
  SignMode,
  allErrorCodes,
  parseBeijingTimestamp,
  signResponse,
  signaturesEqual,
  supplierOperations,
  yuanToFen,
} from "../../contract/index.js";
import { type Exchange, type KitContext, type KitModule, probeEvidence, redactFields, responseEvidence, result } from "../kit-context.js";
import type { Evidence, ModuleDef, StepDef, StepResult } from "../plan.js";
import { refusalOf } from "./token-module.js";

const EVIDENCE_KEPT = 5;

const def = {
  id: "answers",
  title: "每个应答",
  section: "§1, §2.3",
  steps: [
    { id: "answer.signed", title: "每个应答带正确的 X-Sign / X-Sign-Timestamp", section: "§2.3", required: true, changesState: false, signMode: "hmac-sha256" },
    { id: "answer.envelope", title: "信封格式正确，应答体不含换行", section: "§1", required: true, changesState: false },
    { id: "answer.codes", title: "错误代码与 desc 符合契约", section: "§1, 错误代码表", required: true, changesState: false },
    { id: "answer.fields", title: "字段长度与类型正确（金额至多两位小数）", section: "§1, §5", required: true, changesState: false },
    { id: "answer.platform-code", title: "错误的 platformCode → 5013", section: "§2.2", required: true, changesState: false },
  ],
} as const satisfies ModuleDef;
type StepId = (typeof def.steps)[number]["id"];
const step = (id: StepId): StepDef => def.steps.find((s) => s.id === id) ?? def.steps[0];

const ENVELOPED = new Set([200, 405, 413]);
/** Money fields of supplier answers (§1: yuan, at most 2 decimals). */
const MONEY_FIELDS = new Set(["price", "mall_price", "market_price", "naked_price", "orderPrice", "freight"]);

/** Paths of money values with more than 2 decimals, anywhere in a result. */
export function moneyProblems(value: unknown, path = "result"): string[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => moneyProblems(v, `${path}.${i}`));
  if (value === null || typeof value !== "object") return [];
  return Object.entries(value).flatMap(([k, v]) => {
    if (MONEY_FIELDS.has(k) && (typeof v === "number" || typeof v === "string") && v !== "" && yuanToFen(v) === null) return [`${path}.${k} = ${String(v)}`];
    return moneyProblems(v, `${path}.${k}`);
  });
}
const operationOf = (path: string) => Object.values(supplierOperations).find((op) => path.endsWith(op.path));

function evidenceOf(ex: Exchange, expected: string, got: string): Evidence {
  return {
    operation: operationOf(ex.path)?.id ?? ex.path,
    request: redactFields(ex.request),
    response: responseEvidence(ex.response, ex.failure),
    expected,
    got,
  };
}

/** A verdict over every exchange the run made: the first few offenders are the evidence. */
function over(
  ctx: KitContext,
  id: StepId,
  check: (ex: Exchange & { response: NonNullable<Exchange["response"]> }) => { expected: string; got: string } | null,
  what: string,
): StepResult {
  const offenders: Evidence[] = [];
  let checked = 0;
  let bad = 0;
  for (const ex of ctx.exchanges) {
    if (!ex.response || !ENVELOPED.has(ex.response.status)) continue;
    checked++;
    const problem = check(ex as Exchange & { response: NonNullable<Exchange["response"]> });
    if (problem) {
      bad++;
      if (offenders.length < EVIDENCE_KEPT) offenders.push(evidenceOf(ex, problem.expected, problem.got));
    }
  }
  return result(step(id), bad === 0 ? "passed" : "failed", bad === 0 ? `${checked} 个应答${what}` : `${checked} 个应答中 ${bad} 个不符`, offenders);
}

function envelopeOf(body: Buffer): { success: boolean; code?: unknown; desc?: unknown; result?: unknown } | null {
  try {
    const parsed = AnyEnvelope.safeParse(JSON.parse(body.toString("utf8")));
    return parsed.success ? (parsed.data as { success: boolean; code?: unknown; desc?: unknown; result?: unknown }) : null;
  } catch {
    return null;
  }
}

export const answersModule: KitModule = {
  def,
  async run(ctx) {
    const wrong = await ctx.client.probe("shelfStates", { sku: ctx.facts.offeredSkus[0] ?? "KITPROBE" }, { platformCode: "KITWRONGPLATFORM" });
    const w = refusalOf(wrong);
    const platform = result(
      step("answer.platform-code"),
      w.code === ErrorCode.PlatformCodeInvalid ? "passed" : "failed",
      w.code === ErrorCode.PlatformCodeInvalid ? `答复 ${w.text}` : `应答 5013，实际 ${w.text}`,
      [probeEvidence("S-7", wrong, "5013", w.text)],
    );

    const out: StepResult[] = [];
    if (ctx.conn.signMode === SignMode.HmacSha256) {
      out.push(
        over(
          ctx,
          "answer.signed",
          (ex) => {
            const ts = ex.response.headers[SIGN_TIMESTAMP_HEADER.toLowerCase()];
            const sign = ex.response.headers[SIGN_HEADER.toLowerCase()];
            if (!ts || !sign) return { expected: "X-Sign-Timestamp 与 X-Sign", got: "缺少签名头" };
            if (parseBeijingTimestamp(ts) === null) return { expected: "yyyy-MM-dd HH:mm:ss", got: `X-Sign-Timestamp ${ts}` };
            if (!signaturesEqual(signResponse(ctx.conn.appSecret, ts, ex.response.body), sign))
              return { expected: "HMAC-SHA256(appSecret, timestamp + \\n + body)", got: "X-Sign 不符" };
            return null;
          },
          "均已正确签名",
        ),
      );
    }
    out.push(
      over(
        ctx,
        "answer.envelope",
        (ex) => {
          const text = ex.response.body.toString("utf8");
          if (/[\r\n]/.test(text)) return { expected: "单行应答体", got: "应答体含换行" };
          const type = ex.response.headers["content-type"] ?? "";
          if (!/^application\/json/i.test(type)) return { expected: "application/json;charset=UTF-8", got: `Content-Type ${type}` };
          if (!envelopeOf(ex.response.body)) return { expected: '{"success":true,"result":…} 或 {"success":false,"desc","code"}', got: "不是对接信封" };
          return null;
        },
        "均为单行的对接信封",
      ),
    );
    out.push(
      over(
        ctx,
        "answer.codes",
        (ex) => {
          const env = envelopeOf(ex.response.body);
          if (!env || env.success) return null;
          const code = Number(env.code);
          if (!(allErrorCodes as readonly number[]).includes(code)) return { expected: "错误代码表中的代码", got: `code ${String(env.code)}` };
          if (typeof env.desc !== "string" || env.desc.trim() === "") return { expected: "非空 desc", got: "desc 为空" };
          return null;
        },
        "的代码与 desc 符合契约",
      ),
    );
    out.push(
      over(
        ctx,
        "answer.fields",
        (ex) => {
          const env = envelopeOf(ex.response.body);
          const op = operationOf(ex.path);
          if (!env || !env.success || !op) return null;
          const parsed = op.result.safeParse(env.result);
          if (parsed.success) {
            const money = moneyProblems(env.result);
            return money.length === 0 ? null : { expected: "金额至多两位小数", got: money.slice(0, 3).join("；") };
          }
          const issue = parsed.error.issues[0];
          return { expected: `${op.id} 的结果字段`, got: `result.${(issue?.path ?? []).map(String).join(".")}: ${issue?.message ?? ""}` };
        },
        "的字段长度与类型正确",
      ),
    );
    out.push(platform);
    return out;
  },
};
