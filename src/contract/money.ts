/** Money is yuan with at most 2 decimals on the wire and integer fen everywhere else. §1 */
const YUAN_PATTERN = /^(\d+)(?:\.(\d{1,2}))?$/;

/** Integer fen from a wire amount, or null when it is not a non-negative amount with ≤ 2 decimals. */
export function yuanToFen(amount: number | string): number | null {
  const text = typeof amount === "number" ? numberToPlainText(amount) : amount.trim();
  if (text === null) return null;
  const m = YUAN_PATTERN.exec(text);
  if (!m) return null;
  const whole = Number(m[1]);
  const cents = Number((m[2] ?? "").padEnd(2, "0"));
  const fen = whole * 100 + cents;
  return Number.isSafeInteger(fen) ? fen : null;
}

export function fenToYuan(fen: number): number {
  // Division of an integer by 100 rounds to the nearest double, which prints back with ≤ 2 decimals.
  return fen / 100;
}

function numberToPlainText(value: number): string | null {
  if (!Number.isFinite(value) || value < 0) return null;
  // toString gives the shortest round-trip text: 4999.1 → "4999.1", 0.1+0.2 → "0.30000000000000004" (rejected).
  const text = String(value);
  return /e/i.test(text) ? null : text;
}
