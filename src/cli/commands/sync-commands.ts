import { beijingText } from "../../lib/beijing-time.js";
import type { RunAttempt, RunSummary } from "../../sync/sync-runner.js";
import { type Command, UsageError, flags, requireFlag, table } from "../cli-kit.js";
import { createProgressLine } from "../progress-line.js";

const outcomes = ["applied", "rejected", "failed", "skipped", "quarantined"] as const;

function attemptOutput(attempt: RunAttempt): {
  human: string;
  json: Record<string, unknown>;
  audit: { target: string | null; summary: Record<string, unknown> };
} {
  if (!attempt.ran) {
    return {
      human: `another runner holds this supplier's lease (${attempt.holder ?? "unknown"}); nothing done`,
      json: { ran: false, reason: attempt.reason, holder: attempt.holder },
      audit: { target: null, summary: { after: { ran: false, reason: attempt.reason } } },
    };
  }
  const s = attempt.summary;
  const rows = Object.entries(s.counts).map(([type, c]) => ({ type, ...c }));
  const human = [
    `run ${s.runId} ${s.status} (${s.trigger}) ${s.startedAt} → ${s.endedAt}`,
    table(rows, ["type", "received", "applied", "rejected", "skipped", "failed", "quarantined"]),
    `calls made: ${s.callsMade} ${JSON.stringify(s.callsByOperation)}`,
    `still pending in the inbox: ${s.pendingInInbox}`,
    ...deferredLine(s.deferred),
    ...s.errors.map((e) => `error: ${e.endpoint ?? ""} ${e.kind} ${e.code ?? ""} ${e.message}`),
  ].join("\n");
  return { human, json: { ran: true, summary: s }, audit: { target: s.supplier, summary: { after: { runId: s.runId, status: s.status } } } };
}

/** When a run left messages waiting after transient failures: how many, and when the first comes due. */
function deferredLine(deferred: RunSummary["deferred"]): string[] {
  if (deferred.count === 0 || deferred.nextAttemptAt === null) return [];
  const at = Date.parse(deferred.nextAttemptAt);
  const inSeconds = Math.max(0, Math.ceil((at - Date.now()) / 1000));
  return [
    `deferred after a transient failure: ${deferred.count}; the first comes due at ${beijingText(at)} (Beijing time, in ${inSeconds} s), for the next run`,
  ];
}

const parseTime = (v: unknown, name: string): number | undefined => {
  if (v === undefined) return undefined;
  const t = Date.parse(String(v));
  if (Number.isNaN(t)) throw new UsageError(`--${name} must be a date or ISO time`);
  return t;
};

export const syncCommands: Record<string, Command> = {
  run: {
    usage: "sync run --supplier CODE",
    summary: "drain the supplier's message pool now, under the same lease as the scheduler",
    audit: "sync.run",
    async run({ argv, container }) {
      const v = flags(argv, { supplier: { type: "string" } });
      // --json is for scripts: not a byte beyond the JSON line, whatever the terminal.
      const progress = createProgressLine(argv.includes("--json") ? { isTTY: false, write: () => true } : process.stderr);
      try {
        return attemptOutput(await container.sync.pull(requireFlag(v, "supplier"), "manual", progress.update));
      } finally {
        progress.end();
      }
    },
  },
  stock: {
    usage: "sync stock --supplier CODE",
    summary: "refresh stock of every on-shelf sku in the connection's areas (S-8)",
    audit: "sync.stock",
    async run({ argv, container }) {
      const v = flags(argv, { supplier: { type: "string" } });
      return attemptOutput(await container.sync.stock(requireFlag(v, "supplier")));
    },
  },
  logs: {
    usage:
      "sync logs [--supplier CODE] [--run RUN_ID] [--type 2|4|6|16] [--outcome applied|rejected|failed|skipped|quarantined] [--sku SKU] [--from TIME] [--to TIME] [--limit N]",
    summary: "sync runs, or with --run/--type/--outcome/--sku the per-message log",
    async run({ argv, container }) {
      const v = flags(argv, {
        supplier: { type: "string" },
        run: { type: "string" },
        type: { type: "string" },
        outcome: { type: "string" },
        sku: { type: "string" },
        from: { type: "string" },
        to: { type: "string" },
        limit: { type: "string" },
      });
      const limit = Math.min(Number(v.limit ?? 50), 10_000);
      if (!Number.isInteger(limit) || limit < 1) throw new UsageError("--limit must be a positive whole number");
      const outcome = v.outcome as (typeof outcomes)[number] | undefined;
      if (outcome !== undefined && !outcomes.includes(outcome)) throw new UsageError(`--outcome must be one of ${outcomes.join(", ")}`);
      const messageLevel = v.run !== undefined || v.type !== undefined || outcome !== undefined || v.sku !== undefined;
      if (!messageLevel) {
        const runs = (await container.sync.runs({ supplier: v.supplier, limit })).map((r) => ({
          ...r,
          counts: JSON.parse(r.countsJson) as unknown,
          errors: JSON.parse(r.errorsJson) as unknown,
          startedAt: new Date(r.startedAt).toISOString(),
          endedAt: r.endedAt === null ? null : new Date(r.endedAt).toISOString(),
        }));
        return { human: table(runs, ["id", "status", "trigger", "startedAt", "endedAt", "callsMade"]), json: { runs } };
      }
      const messages = (
        await container.sync.messageLogs({
          supplier: v.supplier,
          runId: v.run,
          type: v.type === undefined ? undefined : Number(v.type),
          outcome,
          sku: v.sku,
          from: parseTime(v.from, "from"),
          to: parseTime(v.to, "to"),
          limit,
        })
      ).map((m) => ({ ...m, reasons: JSON.parse(m.reasonsJson) as unknown, calls: JSON.parse(m.callSeqsJson) as unknown, at: new Date(m.at).toISOString() }));
      return { human: table(messages, ["runId", "messageId", "type", "sku", "outcome", "durationMs", "at"]), json: { messages } };
    },
  },
  calls: {
    usage: "sync calls --run RUN_ID [--message MESSAGE_ID]",
    summary: "the supplier calls a run made, or those one message made",
    async run({ argv, container }) {
      const v = flags(argv, { run: { type: "string" }, message: { type: "string" } });
      const runId = requireFlag(v, "run");
      let seqs: number[] | undefined;
      if (v.message !== undefined) {
        const log = (await container.sync.messageLogs({ runId, limit: 100_000 })).find((m) => m.messageId === v.message);
        if (!log) throw new UsageError(`message ${v.message} is not in run ${runId}`);
        seqs = JSON.parse(log.callSeqsJson) as number[];
      }
      const calls = await container.sync.callsOf(runId, seqs);
      return { human: table(calls, ["seq", "endpoint", "attempt", "outcome", "errorCode", "durationMs", "batchSize"]), json: { calls } };
    },
  },
  quarantine: {
    usage: "sync quarantine --supplier CODE",
    summary: "messages that kept failing or break the contract, with their reason and body",
    async run({ argv, container }) {
      const v = flags(argv, { supplier: { type: "string" } });
      const messages = await container.sync.quarantineEntries(requireFlag(v, "supplier"));
      return { human: table(messages, ["messageId", "type", "sku", "unparseable", "attempts", "reason"]), json: { messages } };
    },
  },
  replay: {
    usage: "sync replay --supplier CODE (--message ID… | --all)",
    summary: "send quarantined messages through the same idempotent path again",
    audit: "sync.replay",
    async run({ argv, container }) {
      const v = flags(argv, { supplier: { type: "string" }, message: { type: "string", multiple: true }, all: { type: "boolean" } });
      if (!v.all && !v.message?.length) throw new UsageError("name --message ID (repeatable) or --all");
      const { requeued, attempt } = await container.sync.replay(requireFlag(v, "supplier"), v.all ? "all-quarantined" : (v.message ?? []));
      const out = attemptOutput(attempt);
      return {
        human: `requeued ${requeued}\n${out.human}`,
        json: { requeued, ...out.json },
        audit: { target: v.supplier ?? null, summary: { after: { requeued, ...(out.audit.summary.after as object) } } },
      };
    },
  },
  prune: {
    usage: "sync prune",
    summary:
      "retention now: sync logs past SYNC_LOG_RETENTION_DAYS, run summaries past SYNC_RUN_RETENTION_DAYS, price history past PRICE_HISTORY_FULL_DAYS compacted to a row per sku and day, then month",
    audit: "sync.prune",
    // Chunked, each chunk its own transaction, so a running gateway keeps writing meanwhile.
    async run({ argv, container }) {
      flags(argv, {});
      const removed = await container.retention.run();
      return {
        human: `removed ${removed.runs} runs, ${removed.messages} message logs, ${removed.calls} call logs, ${removed.inbox} settled inbox rows, ${removed.loginFailures} old login failures; compacted away ${removed.priceRows} price-history rows`,
        json: { removed },
        audit: { summary: { after: removed } },
      };
    },
  },
};
