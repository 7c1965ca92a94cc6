import { z } from "zod";

/** Shapes the admin API answers in several places. Times are epoch ms unless a field says ISO. */
export const EpochMs = z.number().int().describe("Epoch milliseconds.");
export const Ok = z.object({ ok: z.literal(true) });
export const AccountStatus = z.enum(["active", "disabled"]);
/** A §7 validation failure of a product or a message. */
export const Reason = z.object({ code: z.number().int(), field: z.string(), message: z.string() });
/** A count for every key of a closed set, each key present (an object, so every key is documented). */
export const countsBy = <K extends string>(keys: readonly K[]) =>
  z.object(Object.fromEntries(keys.map((k) => [k, z.number().int()])) as Record<K, z.ZodNumber>);
