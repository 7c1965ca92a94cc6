import type { SupplierOperationName } from "../contract/index.js";
import type { Logger } from "../lib/logger.js";
import type { SupplierErrorKind } from "./supplier-error.js";

/** One attempt of one supplier call, for the sync log. Carries no credentials, tokens or signatures. */
export type CallRecord = {
  supplier: string;
  operation: SupplierOperationName;
  /** Contract id and path, e.g. `S-10 /api/product/prices`. */
  endpoint: string;
  /** 1 for the first attempt; re-logins and retries count up. */
  attempt: number;
  startedAt: string;
  durationMs: number;
  outcome: "ok" | SupplierErrorKind;
  errorCode?: number;
  httpStatus?: number;
  field?: string;
  message?: string;
  /** For refusals: whether the answer carried a valid X-Sign (or the account's sign mode signs none). */
  signed?: boolean;
  /** skus or message ids in the request, for batch calls. */
  batchSize?: number;
  /** What the call was about: the sku (batch), message ids, yggc_order or order_id sent. */
  subject?: string;
};

export type CallRecorder = { record(record: CallRecord): void };

/** Keeps records in memory; tests and short diagnostics. */
export class MemoryCallRecorder implements CallRecorder {
  readonly records: CallRecord[] = [];
  record(record: CallRecord): void {
    this.records.push(record);
  }
}

/** Writes one log line per attempt (`supplier.call`), failures at info: they are the supplier's. */
export function loggingCallRecorder(logger: Logger): CallRecorder {
  return {
    record(record) {
      if (record.outcome === "ok") logger.debug(record, "supplier.call");
      else logger.info(record, "supplier.call.failed");
    },
  };
}

export const noCallRecorder: CallRecorder = { record: () => undefined };
