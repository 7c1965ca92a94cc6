/** China has one zone and no daylight saving: Beijing time is UTC+8 all year. */
const OFFSET_MS = 8 * 3_600_000;

/** `2026-11-26 16:04:02`, as staff read clocks; callers show the zone beside it. */
export function beijingText(ms: number): string {
  return new Date(ms + OFFSET_MS).toISOString().replace("T", " ").slice(0, 19);
}

/** `2026-11-26 16:04:02 北京时间`: the time with its zone, as text for a terminal or a page. */
export const beijingLabel = (ms: number): string => `${beijingText(ms)} 北京时间`;

/** ISO 8601 with the +08:00 offset, as a spreadsheet or script reads it unambiguously. */
export const beijingIso = (ms: number | null): string | null => (ms === null ? null : `${new Date(ms + OFFSET_MS).toISOString().slice(0, 19)}+08:00`);

/** The start of the Beijing hour containing `ms`, in epoch ms. */
/** The instant the Beijing day holding `ms` began (midnight, UTC+8). */
export const beijingDayStart = (ms: number): number => ms - ((ms + OFFSET_MS) % 86_400_000);

export const beijingHourStart = (ms: number): number => ms - ((ms + OFFSET_MS) % 3_600_000);
