import { z } from "zod";
import { signModes } from "../../../contract/index.js";
import { AccountStatus, EpochMs } from "./common-views.js";

/** A supplier and the mall account issued to it; contact fields read "[encrypted]" unless revealed. */
export const SupplierView = z.object({
  code: z.string(),
  name: z.string(),
  creditCode: z.string().describe("统一社会信用代码"),
  domains: z.array(z.string()),
  status: AccountStatus,
  username: z.string().nullable(),
  signMode: z.enum(signModes).nullable(),
  credentialsVersion: z.number().int().nullable(),
  contactName: z.string().nullable(),
  contactPhone: z.string().nullable(),
});

/** Secrets of the supplier's mall account, answered once at issue or rotation. */
export const IssuedCredentials = z.object({ username: z.string(), password: z.string().optional(), appSecret: z.string().optional() });

/** How the mall reaches a supplier's API; the account's password and appSecret are never shown. */
export const ConnectionView = z.object({
  supplierId: z.number().int(),
  supplierCode: z.string(),
  baseUrl: z.string(),
  username: z.string(),
  signMode: z.enum(signModes),
  bodyFormat: z.enum(["form", "json"]),
  pullSchedule: z.string().describe("cron expression"),
  stockSchedule: z.string().describe("cron expression"),
  stockAreas: z.array(z.string()),
  maxConcurrent: z.number().int(),
  qps: z.number().int(),
  timeoutMs: z.number().int(),
  enabled: z.boolean(),
  createdAt: EpochMs,
  updatedAt: EpochMs,
});

/** A supplier whose order pushes are paused by a configuration failure, and why. */
export const PushPauseView = z.object({
  supplier: z.string(),
  since: EpochMs,
  code: z.number().int().nullable().describe("The contract error code the supplier answered, when it did."),
  reason: z.string(),
  yggc_order: z.string().nullable().describe("The order whose push found the failure."),
});
