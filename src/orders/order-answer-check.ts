import { type SubmitOrderResult, yuanToFen } from "../contract/index.js";
import type { OrderLine } from "./order-intake.js";

/** One side's figures of an order, in fen; null where the supplier reported no 2-decimal amount. */
export type OrderFigures = {
  lines: Array<{ sku: string; num: number; priceFen: number | null }>;
  /** Goods, freight excluded (S-11 `orderPrice`). */
  goodsFen: number | null;
  freightFen: number | null;
};

/** What we sent next to what the supplier answered, and every difference in words. */
export type AnswerCheck = { ours: OrderFigures; theirs: OrderFigures; differences: string[] };

const yuan = (fen: number | null) => (fen === null ? "?" : (fen / 100).toFixed(2));

/**
 * §5 S-11: the supplier's answer must be the order we sent — the same sku set, each line's quantity
 * and unit price, the goods total and the freight. Money compared in integer fen, never floats.
 */
export function checkSubmitAnswer(sent: { lines: readonly OrderLine[]; goodsFen: number; freightFen: number }, answer: SubmitOrderResult): AnswerCheck {
  const ours: OrderFigures = {
    lines: sent.lines.map((l) => ({ sku: l.sku, num: l.num, priceFen: l.priceFen })),
    goodsFen: sent.goodsFen,
    freightFen: sent.freightFen,
  };
  const theirs: OrderFigures = {
    lines: answer.sku.map((l) => ({ sku: l.sku, num: l.num, priceFen: yuanToFen(l.price) })),
    goodsFen: yuanToFen(answer.orderPrice),
    freightFen: yuanToFen(answer.freight),
  };
  const differences: string[] = [];
  const answered = new Map<string, OrderFigures["lines"][number]>();
  for (const line of theirs.lines) {
    if (answered.has(line.sku)) differences.push(`${line.sku}: answered more than once`);
    answered.set(line.sku, line);
  }
  for (const line of ours.lines) {
    const their = answered.get(line.sku);
    if (!their) {
      differences.push(`${line.sku}: sent, missing from the answer`);
      continue;
    }
    if (their.num !== line.num) differences.push(`${line.sku}: num sent ${line.num}, answered ${their.num}`);
    if (their.priceFen !== line.priceFen) differences.push(`${line.sku}: price sent ${yuan(line.priceFen)}, answered ${yuan(their.priceFen)}`);
  }
  const sentSkus = new Set(ours.lines.map((l) => l.sku));
  for (const line of theirs.lines) if (!sentSkus.has(line.sku)) differences.push(`${line.sku}: answered, never sent`);
  if (theirs.goodsFen !== ours.goodsFen) differences.push(`orderPrice sent ${yuan(ours.goodsFen)}, answered ${yuan(theirs.goodsFen)}`);
  if (theirs.freightFen !== ours.freightFen) differences.push(`freight sent ${yuan(ours.freightFen)}, answered ${yuan(theirs.freightFen)}`);
  return { ours, theirs, differences: [...new Set(differences)] };
}
