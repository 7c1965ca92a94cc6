import { ErrorCode, SignMode, TOKEN_EXPIRED_MARKER, formatBeijingTimestamp } from "../../contract/index.js";
import { newNonce } from "../../lib/ids.js";
import type { ProbeAnswer } from "../../supplier/supplier-client.js";
import type { CallResult } from "../../supplier/supplier-error.js";
import { type KitContext, type KitModule, lastExchangeEvidence, probeEvidence, result } from "../kit-context.js";
import type { ModuleDef, StepResult } from "../plan.js";

const S1 = "/api/auth2/access_token";
const STALE_BY_MS = 3_600_000; // an hour: far outside §2.1's ±300 s

const def = {
  id: "token",
  title: "S-1 授权获取 Access Token",
  section: "§2.1",
  steps: [
    { id: "token.issue", title: "正确的账号取得 token", section: "§2.1", required: true, changesState: false },
    { id: "token.bad-password", title: "密码错误 → 5003", section: "§2.1", required: true, changesState: false },
    { id: "token.unknown-user", title: "用户名不存在 → 5002", section: "§2.1", required: true, changesState: false },
    { id: "token.bad-signature", title: "签名错误 → 5004", section: "§2.1", required: true, changesState: false },
    { id: "token.stale-timestamp", title: "时间戳超出 ±300 秒 → 5001", section: "§2.1", required: true, changesState: false },
    { id: "token.replayed-nonce", title: "重放的 nonce → 5004", section: "§2.1", required: true, changesState: false, signMode: "hmac-sha256" },
    { id: "token.expired", title: "失效的 token → 5005，desc 含 token_expired", section: "§2.2", required: true, changesState: false },
  ],
} as const satisfies ModuleDef;

const step = (id: (typeof def.steps)[number]["id"]) => def.steps.find((s) => s.id === id) ?? def.steps[0];

/** Failure code and desc of a refused probe, or what happened instead. */
export function refusalOf(answer: ProbeAnswer): { code: number | null; desc: string; text: string } {
  if (!answer.read) return { code: null, desc: "", text: `no answer: ${answer.failure?.message ?? ""}` };
  if (answer.read.ok) return { code: null, desc: "", text: "success" };
  const p = answer.read.problem;
  const desc = p.message.replace(/^\d{4}\s+/, "");
  return { code: p.code ?? null, desc, text: p.code === undefined ? `${p.kind}: ${p.message}` : `${p.code} ${desc}` };
}

function expectCode(ctx: KitContext, id: Parameters<typeof step>[0], answer: ProbeAnswer, code: number, descMust?: string, operation = "S-1"): StepResult {
  const got = refusalOf(answer);
  const expected = descMust ? `${code}，desc 含「${descMust}」` : String(code);
  const ok = got.code === code && (descMust === undefined || got.desc.includes(descMust));
  void ctx;
  return result(step(id), ok ? "passed" : "failed", ok ? `答复 ${got.text}` : `应答 ${expected}，实际 ${got.text}`, [
    probeEvidence(operation, answer, expected, got.text),
  ]);
}

function expectRefused(ctx: KitContext, id: Parameters<typeof step>[0], answer: CallResult<unknown>, code: number): StepResult {
  const got = answer.ok ? "success" : answer.error.code === undefined ? `${answer.error.kind}: ${answer.error.detail}` : answer.error.detail;
  const ok = !answer.ok && answer.error.kind === "refused" && answer.error.code === code;
  return result(step(id), ok ? "passed" : "failed", ok ? `答复 ${got}` : `应答 ${code}，实际 ${got}`, [
    lastExchangeEvidence(ctx, "S-1", S1, String(code), got),
  ]);
}

export const tokenModule: KitModule = {
  def,
  async run(ctx) {
    const out: StepResult[] = [];
    const { conn } = ctx;
    const token = await ctx.client.token();
    out.push(
      result(step("token.issue"), token.ok ? "passed" : "failed", token.ok ? "取得 token" : `未取得 token: ${token.error.detail}`, [
        lastExchangeEvidence(ctx, "S-1", S1, "success", token.ok ? "success" : token.error.detail),
      ]),
    );

    const wrong = ctx.clientWith({ password: `${conn.password}#kit` });
    out.push(expectRefused(ctx, "token.bad-password", await wrong.token(), ErrorCode.PasswordWrong));
    await wrong.close();
    const stranger = ctx.clientWith({ username: `kit_no_such_${newNonce(8)}` });
    out.push(expectRefused(ctx, "token.unknown-user", await stranger.token(), ErrorCode.UsernameUnknown));
    await stranger.close();

    const login = () => ({ username: conn.username, password: conn.password, timestamp: formatBeijingTimestamp(ctx.clock()) });
    out.push(expectCode(ctx, "token.bad-signature", await ctx.client.probe("token", login(), { sign: "corrupt" }), ErrorCode.SignatureInvalid));
    const stale = formatBeijingTimestamp(ctx.clock() - STALE_BY_MS);
    out.push(
      expectCode(
        ctx,
        "token.stale-timestamp",
        await ctx.client.probe("token", { ...login(), timestamp: stale }, { timestamp: stale }),
        ErrorCode.TimestampInvalid,
      ),
    );

    if (conn.signMode === SignMode.HmacSha256) {
      const nonce = newNonce();
      const first = await ctx.client.probe("token", login(), { nonce });
      const firstOk = first.read?.ok === true;
      const second = await ctx.client.probe("token", login(), { nonce });
      if (!firstOk) {
        out.push(
          result(step("token.replayed-nonce"), "failed", `首次使用该 nonce 即被拒绝: ${refusalOf(first).text}`, [
            probeEvidence("S-1", first, "success", refusalOf(first).text),
          ]),
        );
      } else {
        out.push(expectCode(ctx, "token.replayed-nonce", second, ErrorCode.SignatureInvalid));
      }
    }

    const expired = await ctx.client.probe("shelfStates", { sku: "KITPROBE" }, { token: `kitexpired${newNonce(24)}` });
    out.push(expectCode(ctx, "token.expired", expired, ErrorCode.TokenExpired, TOKEN_EXPIRED_MARKER, "S-7"));
    return out;
  },
};
