import type { GatewayMetrics } from "./gateway-metrics.js";

type AuthOutcome = { ok: true } | { ok: false; failure: { code: number } };

/** The same auth step, with each refusal counted by its contract code. */
export function countingAuthFailures<A extends unknown[], O extends AuthOutcome>(
  step: (...args: A) => Promise<O>,
  metrics: GatewayMetrics,
): (...args: A) => Promise<O> {
  return async (...args) => {
    const outcome = await step(...args);
    if (!outcome.ok) metrics.authFailed(outcome.failure.code);
    return outcome;
  };
}
