import type { Failure } from "../contract/index.js";

/** What a simulator verb answers: the result, or the contract failure to put in the envelope. */
export type Outcome<T> = { ok: true; value: T } | { ok: false; failure: Failure };
