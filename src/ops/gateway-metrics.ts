import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { CallRecord, CallRecorder } from "../supplier/call-recorder.js";
import type { RunSummary } from "../sync/sync-runner.js";

/** Every series this gateway exposes starts with this (Prometheus naming: one namespace per service). */
export const METRIC_PREFIX = "emall_";

const HTTP_BUCKETS_S = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
/** Supplier calls run up to the connection's timeout (10 s default, 120 s at most). */
const SUPPLIER_BUCKETS_S = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 120];
/** A refusal in the lineage's words for "you call too fast" (the simulator says 请求过于频繁). */
const TOO_FAST = /频繁|rate limit|too many/i;

/** One trust mark's state, from the conformance work; the source is plugged in where marks live. */
export type TrustMarkReading = { supplier: string; state: string; expiresAtMs: number | null };

/**
 * The gateway's Prometheus registry. One per container (tests run many in one process), so nothing
 * registers into prom-client's global registry. Store-backed gauges are read at scrape time.
 */
export function createGatewayMetrics() {
  const registry = new Registry();
  const r = [registry];

  const httpRequests = new Counter({
    name: "emall_http_requests_total",
    help: "HTTP requests answered, by route and status.",
    labelNames: ["route", "status"] as const,
    registers: r,
  });
  const httpDuration = new Histogram({
    name: "emall_http_request_duration_seconds",
    help: "Time to answer an HTTP request, by route.",
    labelNames: ["route"] as const,
    buckets: HTTP_BUCKETS_S,
    registers: r,
  });
  const authFailures = new Counter({
    name: "emall_mall_auth_failures_total",
    help: "Mall-side token logins and signed calls refused, by contract error code.",
    labelNames: ["code"] as const,
    registers: r,
  });
  const supplierCalls = new Counter({
    name: "emall_supplier_calls_total",
    help: "Attempts of calls to suppliers' APIs, by supplier, operation and outcome (ok, a failure kind, or refused_too_fast).",
    labelNames: ["supplier", "operation", "outcome"] as const,
    registers: r,
  });
  const supplierDuration = new Histogram({
    name: "emall_supplier_call_duration_seconds",
    help: "Duration of one attempt of a supplier call, by supplier and operation.",
    labelNames: ["supplier", "operation"] as const,
    buckets: SUPPLIER_BUCKETS_S,
    registers: r,
  });
  const messages = new Counter({
    name: "emall_sync_messages_total",
    help: "Message-pool messages, by supplier, message type and outcome (received, applied, rejected, failed, skipped, quarantined).",
    labelNames: ["supplier", "type", "outcome"] as const,
    registers: r,
  });
  const runs = new Counter({
    name: "emall_sync_runs_total",
    help: "Sync runs finished, by supplier, trigger and status.",
    labelNames: ["supplier", "trigger", "status"] as const,
    registers: r,
  });
  const lastRunEnd = new Gauge({
    name: "emall_sync_last_run_end_timestamp_seconds",
    help: "When the supplier's last sync run in this process ended, by status.",
    labelNames: ["supplier", "status"] as const,
    registers: r,
  });

  const httpChildren = new Map<string, Map<number, Counter.Internal>>();
  const durationChildren = new Map<string, Histogram.Internal<"route">>();
  const callChildren = new Map<string, { ok: Counter.Internal; duration: Histogram.Internal<"supplier" | "operation"> }>();

  let processMetricsOn = false;

  return {
    registry,
    /** Node and process metrics (CPU, memory, event-loop lag, GC): only where the gateway serves. */
    collectProcessMetrics(): void {
      if (processMetricsOn) return;
      processMetricsOn = true;
      collectDefaultMetrics({ register: registry, prefix: METRIC_PREFIX });
      // prom-client names these gauges `…_total`, which Prometheus reserves for counters (promtool
      // check metrics refuses them); emall_nodejs_active_resources{type} says the same.
      for (const name of ["nodejs_active_handles_total", "nodejs_active_requests_total", "nodejs_active_resources_total"])
        registry.removeSingleMetric(METRIC_PREFIX + name);
    },

    /** Hot path: label children are looked up in maps, made once per route and status. */
    httpAnswered(route: string, status: number, seconds: number): void {
      let byStatus = httpChildren.get(route);
      if (!byStatus) httpChildren.set(route, (byStatus = new Map()));
      let counter = byStatus.get(status);
      if (!counter) byStatus.set(status, (counter = httpRequests.labels(route, String(status))));
      counter.inc();
      let histogram = durationChildren.get(route);
      if (!histogram) durationChildren.set(route, (histogram = httpDuration.labels(route)));
      histogram.observe(seconds);
    },

    authFailed(code: number): void {
      authFailures.labels(String(code)).inc();
    },

    /** A CallRecorder for the supplier clients: every attempt counted and timed. */
    callRecorder: {
      record(call: CallRecord): void {
        const key = `${call.supplier}\u0000${call.operation}`;
        let children = callChildren.get(key);
        if (!children) {
          children = { ok: supplierCalls.labels(call.supplier, call.operation, "ok"), duration: supplierDuration.labels(call.supplier, call.operation) };
          callChildren.set(key, children);
        }
        if (call.outcome === "ok") children.ok.inc();
        else {
          const outcome = call.outcome === "refused" && call.message !== undefined && TOO_FAST.test(call.message) ? "refused_too_fast" : call.outcome;
          supplierCalls.labels(call.supplier, call.operation, outcome).inc();
        }
        children.duration.observe(call.durationMs / 1000);
      },
    } satisfies CallRecorder,

    /** A finished sync run: its messages by type and outcome, and the run's status. */
    runFinished(summary: RunSummary): void {
      runs.labels(summary.supplier, summary.trigger, summary.status).inc();
      lastRunEnd.labels(summary.supplier, summary.status).set(Date.parse(summary.endedAt) / 1000);
      for (const [type, byOutcome] of Object.entries(summary.counts)) {
        for (const [outcome, n] of Object.entries(byOutcome)) if (n > 0) messages.labels(summary.supplier, type, outcome).inc(n);
      }
    },

    /** A gauge whose values are read when Prometheus scrapes. */
    gaugeFromSource<L extends string>(
      spec: { name: string; help: string; labelNames: readonly L[] },
      read: (set: (labels: Record<L, string>, value: number) => void) => void | Promise<void>,
    ): void {
      new Gauge({
        ...spec,
        registers: r,
        async collect() {
          // Read first, then replace: a scrape never shows a gauge half reset while the store answers.
          const values: Array<[Record<L, string>, number]> = [];
          await read((labels, value) => values.push([labels, value]));
          this.reset();
          for (const [labels, value] of values) this.set(labels, value);
        },
      });
    },
  };
}

export type GatewayMetrics = ReturnType<typeof createGatewayMetrics>;
