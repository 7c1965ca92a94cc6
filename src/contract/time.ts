/** Wire timestamps are `yyyy-MM-dd HH:mm:ss` in Beijing time (UTC+8, no daylight saving). §1 */
const BEIJING_OFFSET_MS = 8 * 3600_000;
const TIMESTAMP_PATTERN = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;
const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/;

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

export function formatBeijingTimestamp(epochMs: number): string {
  const d = new Date(epochMs + BEIJING_OFFSET_MS);
  return (
    `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`
  );
}

// Calls arriving in the same second carry the same timestamp: the last answer is kept.
let lastParsed: { text: string; epochMs: number | null } = { text: "", epochMs: null };

/** Epoch milliseconds, or null when the text is not a real calendar moment in the wire format. */
export function parseBeijingTimestamp(text: string): number | null {
  if (text === lastParsed.text) return lastParsed.epochMs;
  const epochMs = parseUncached(text);
  lastParsed = { text, epochMs };
  return epochMs;
}

function parseUncached(text: string): number | null {
  const m = TIMESTAMP_PATTERN.exec(text);
  if (!m) return null;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const utc = Date.UTC(y, mo - 1, d, h, mi, s);
  // Date.UTC rolls 2022-02-30 over to March; a round trip rejects such dates.
  const epochMs = utc - BEIJING_OFFSET_MS;
  return formatBeijingTimestamp(epochMs) === text ? epochMs : null;
}

export function isWireDate(text: string): boolean {
  const m = DATE_PATTERN.exec(text);
  if (!m) return false;
  const [y, mo, d] = m.slice(1).map(Number) as [number, number, number];
  const date = new Date(Date.UTC(y, mo - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d;
}
