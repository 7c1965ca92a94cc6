import type { OpsRepo } from "../store/repos/ops-repo.js";
import type { GatewayMetrics, TrustMarkReading } from "./gateway-metrics.js";

export type TrustMarkSource = () => readonly TrustMarkReading[] | Promise<readonly TrustMarkReading[]>;
export type ConformanceScoreSource = () => ReadonlyArray<{ supplier: string; score: number }> | Promise<ReadonlyArray<{ supplier: string; score: number }>>;

/**
 * The gauges read from the store at scrape time: backlog and quarantine per supplier, orders by
 * state (and how long the oldest has waited in it), lease holders, and trust marks and production
 * conformance scores once their sources are plugged in (conformance lives outside this module).
 */
export function registerStoreGauges(
  metrics: GatewayMetrics,
  ops: OpsRepo,
  clock: () => number,
): { setTrustMarkSource(source: TrustMarkSource): void; setConformanceScoreSource(source: ConformanceScoreSource): void } {
  let trustMarks: TrustMarkSource = () => [];
  let scores: ConformanceScoreSource = () => [];

  metrics.gaugeFromSource(
    {
      name: "emall_pool_backlog_messages",
      help: "Messages taken from the supplier's message pool into the inbox and not yet applied.",
      labelNames: ["supplier"],
    },
    async (set) => {
      for (const row of await ops.inbox()) set({ supplier: row.supplier }, row.pending);
    },
  );
  metrics.gaugeFromSource(
    { name: "emall_quarantine_messages", help: "Messages quarantined after repeated failures, waiting for staff to replay them.", labelNames: ["supplier"] },
    async (set) => {
      for (const row of await ops.inbox()) set({ supplier: row.supplier }, row.quarantined);
    },
  );
  metrics.gaugeFromSource({ name: "emall_orders", help: "Orders by state.", labelNames: ["state"] }, async (set) => {
    for (const row of await ops.orderStates()) set({ state: row.state }, row.orders);
  });
  metrics.gaugeFromSource(
    {
      name: "emall_order_oldest_in_state_seconds",
      help: "Age of the oldest order unchanged in an open state (created, submitting, submitted, confirming).",
      labelNames: ["state"],
    },
    async (set) => {
      const now = clock();
      for (const row of await ops.orderStates()) {
        if (ops.openOrderStates.includes(row.state)) set({ state: row.state }, Math.max(0, (now - row.oldestUpdatedAt) / 1000));
      }
    },
  );
  metrics.gaugeFromSource(
    { name: "emall_lease_holders", help: "Live leases by kind (sync: a supplier's runs; order: a push) and holding instance.", labelNames: ["kind", "holder"] },
    async (set) => {
      for (const row of await ops.leases(clock())) set({ kind: row.kind, holder: row.holder }, row.leases);
    },
  );
  metrics.gaugeFromSource(
    { name: "emall_trust_mark_state", help: "1 for each supplier's current trust-mark state.", labelNames: ["supplier", "state"] },
    async (set) => {
      for (const mark of await trustMarks()) set({ supplier: mark.supplier, state: mark.state }, 1);
    },
  );
  metrics.gaugeFromSource(
    { name: "emall_trust_mark_expiry_timestamp_seconds", help: "When each supplier's trust mark expires (Unix seconds).", labelNames: ["supplier"] },
    async (set) => {
      for (const mark of await trustMarks()) if (mark.expiresAtMs !== null) set({ supplier: mark.supplier }, mark.expiresAtMs / 1000);
    },
  );

  metrics.gaugeFromSource(
    {
      name: "emall_supplier_conformance_score",
      help: "Each supplier's production conformance score (0-100) for its latest scored day: the share of the kit's checks its production calls passed.",
      labelNames: ["supplier"],
    },
    async (set) => {
      for (const r of await scores()) set({ supplier: r.supplier }, r.score);
    },
  );

  return {
    setTrustMarkSource(source) {
      trustMarks = source;
    },
    setConformanceScoreSource(source) {
      scores = source;
    },
  };
}
