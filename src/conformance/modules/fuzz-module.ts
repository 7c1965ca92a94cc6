import type { SupplierOperationName } from "../../contract/index.js";
import { type KitContext, type KitModule, probeEvidence, result } from "../kit-context.js";
import type { Evidence, ModuleDef, StepResult } from "../plan.js";
import { refusalOf } from "./token-module.js";

/** Inputs a step sends; small, so an advisory run stays quick. */
const CASES_PER_STEP = 12;

const def = {
  id: "fuzz",
  title: "随机与畸形输入（参考性，不计入信任标识）",
  section: "§1, §2.2, §3",
  steps: [
    { id: "fuzz.skus", title: "随机 sku 列表：答复始终是签名正确的对接信封", section: "§1, §3", required: false, changesState: false },
    { id: "fuzz.fields", title: "畸形字段值：答复始终是代码表内的失败信封", section: "§1, §2.2", required: false, changesState: false },
  ],
} as const satisfies ModuleDef;

/** mulberry32: a seeded stream, so an advisory run can be repeated exactly from its seed. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const ALPHABET = ["a", "Z", "9", "-", "_", ",", " ", "%", "'", '"', "<", "\\", "中", "😀", "\u0000", "\n", ";", "="];
function junk(random: () => number, maxLength: number): string {
  const length = Math.floor(random() * maxLength);
  let out = "";
  for (let i = 0; i < length; i++) out += ALPHABET[Math.floor(random() * ALPHABET.length)] ?? "x";
  return out;
}

/** An answer that keeps the contract whatever was sent: an enveloped, signed success or refusal. */
async function probeAll(
  ctx: KitContext,
  cases: Array<{ operation: string; name: SupplierOperationName; fields: Record<string, string> }>,
  mustRefuse: boolean,
): Promise<{ bad: Evidence[]; sent: number }> {
  const bad: Evidence[] = [];
  for (const c of cases) {
    const answer = await ctx.client.probe(c.name, c.fields);
    const fine = answer.read !== null && (answer.read.ok ? !mustRefuse : answer.read.problem.kind === "refused");
    if (!fine && bad.length < 5) bad.push(probeEvidence(c.operation, answer, mustRefuse ? "失败信封（代码表内）" : "对接信封", refusalOf(answer).text));
  }
  return { bad, sent: cases.length };
}

/** The advisory module: seeded random and malformed inputs. Never part of a certification run. */
export function fuzzModule(seed: number): KitModule {
  return {
    def,
    async run(ctx) {
      const random = seeded(seed);
      const out: StepResult[] = [];
      const skuCases = Array.from({ length: CASES_PER_STEP }, (_, i) => {
        const skus = Array.from({ length: 1 + Math.floor(random() * 5) }, () => junk(random, 40)).join(",");
        return i % 2 === 0
          ? { operation: "S-7", name: "shelfStates" as const, fields: { sku: skus } }
          : { operation: "S-4", name: "detail" as const, fields: { sku: junk(random, 80) } };
      });
      const skus = await probeAll(ctx, skuCases, false);
      out.push(
        result(
          def.steps[0],
          skus.bad.length === 0 ? "passed" : "failed",
          `种子 ${seed}：${skus.sent} 次调用，${skus.bad.length === 0 ? "均为对接信封" : `${skus.bad.length} 次答复不合契约`}`,
          skus.bad,
        ),
      );

      type Case = { operation: string; name: SupplierOperationName; fields: Record<string, string> };
      const fieldCases = Array.from({ length: CASES_PER_STEP }, (_, i): Case | undefined => {
        const value = junk(random, 30) || "!";
        const pick: Case[] = [
          { operation: "S-2", name: "messagePool", fields: { type: `x${value}` } },
          { operation: "S-8", name: "stocks", fields: { sku: "KITPROBE", area: `9${value}` } },
          { operation: "S-12", name: "confirmOrder", fields: { order_id: `KITNOSUCH${value}` } },
          { operation: "S-11", name: "submitOrder", fields: { yggc_order: `KITTESTFUZZ${i}`, sku: `[${value}` } },
        ];
        return pick[i % pick.length] ?? pick[0];
      });
      const fields = await probeAll(
        ctx,
        fieldCases.filter((c): c is Case => c !== undefined),
        true,
      );
      out.push(
        result(
          def.steps[1],
          fields.bad.length === 0 ? "passed" : "failed",
          `种子 ${seed}：${fields.sent} 次调用，${fields.bad.length === 0 ? "均被以失败信封拒绝" : `${fields.bad.length} 次未按契约拒绝`}`,
          fields.bad,
        ),
      );
      return out;
    },
  };
}
