import type { AuditEntry } from "../admin/audit-trail.js";
import { SignMode } from "../contract/index.js";
import { beijingDayStart } from "../lib/beijing-time.js";
import type { Logger } from "../lib/logger.js";
import type { CallRecord, CallRecorder } from "../supplier/call-recorder.js";
import type { AccountRepo } from "../store/repos/account-repo.js";
import type { CheckIncrement, ProductionRepo, ProductionScoreRow } from "../store/repos/production-repo.js";
import type { SqlRunner } from "../store/sql/sql-store.js";
import { type ProductionCheckId, checkPassed, callChecks, productionCheckIds } from "./production-checks.js";

const DAY_MS = 86_400_000;
const BEIJING_OFFSET_MS = 8 * 3_600_000;
/** Tallies are kept in memory and written this often: a statement per call would cost the hot paths. */
const FLUSH_MS = 5_000;
/** Failing calls kept as evidence per check and day. */
const EVIDENCE_KEPT = 5;

/** What the policy does with a bad day: warn; warn, then propose suspension to an admin; or warn, then suspend. */
export const productionPolicies = ["warn", "propose", "suspend"] as const;
export type ProductionPolicy = (typeof productionPolicies)[number];

export type ProductionSettings = {
  policy: ProductionPolicy;
  /** A day scoring below this is a bad day. */
  minScore: number;
  /** Consecutive bad days before a suspension is proposed or made. */
  badDays: number;
};

export type CheckVerdict = { check: ProductionCheckId; total: number; failed: number; passed: boolean; evidence: unknown[] };
export type DayScore = {
  day: string;
  score: number;
  checks: CheckVerdict[];
  action: ProductionScoreRow["action"];
  proposal: ProductionScoreRow["proposal"];
  decidedBy: string | null;
};

/** yyyy-MM-dd of the Beijing day holding `ms`. */
export const beijingDay = (ms: number): string => new Date(beijingDayStart(ms) + BEIJING_OFFSET_MS).toISOString().slice(0, 10);
/**
 * Why `day` cannot be scored and acted on now, or null when it can: a day is acted on once, so only
 * a real calendar day that has ended (Beijing time) is scored, never today's calls so far.
 */
export function unscorableDay(day: string, now: number): string | null {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day) || beijingDay(dayStart(day)) !== day) return `${day} is not a day (yyyy-MM-dd, Beijing time)`;
  if (day >= beijingDay(now)) return `${day} has not ended yet (Beijing time): only past days are scored`;
  return null;
}

/** The instant a Beijing day (yyyy-MM-dd) begins. */
const dayStart = (day: string): number => Date.parse(`${day}T00:00:00+08:00`);

export type ProductionDeps = {
  repo: ProductionRepo;
  accounts: Pick<AccountRepo, "supplierByCode" | "listSuppliers">;
  /** The connection's timeout and sign mode, for latency and signatures; null when not connected. */
  connectionOf: (supplierCode: string) => Promise<{ timeoutMs: number; signMode: string } | null>;
  /** Holds the supplier back (ConformanceService.holdBack): its live marks suspended, or its waiver withdrawn; in `tx`. */
  holdBack: (code: string, reason: string, tx: SqlRunner) => Promise<{ marks: string[]; waiverEnded: boolean }>;
  audit: (entry: AuditEntry) => Promise<unknown>;
  settings: ProductionSettings;
  clock: () => number;
  logger: Logger;
};

export type ProductionConformance = ReturnType<typeof createProductionConformance>;

/**
 * The mark keeps being earned: every production call is tallied against the kit's checks, each
 * Beijing day is scored per supplier (the share of its checks that passed), and a bad day is acted
 * on by the policy — a warning, a suspension proposed to an admin, or one made after `badDays`.
 * Every action is audited.
 */
export function createProductionConformance(deps: ProductionDeps) {
  const log = deps.logger.child({ component: "production-conformance" });
  /** Tallies not yet written: supplier|day|check → increment. */
  let pending = new Map<string, CheckIncrement>();
  const supplierIds = new Map<string, Promise<number | null>>();

  const supplierId = (code: string): Promise<number | null> => {
    let id = supplierIds.get(code);
    if (!id) {
      id = deps.accounts.supplierByCode(code).then((s) => s?.id ?? null);
      supplierIds.set(code, id);
      // A failed read is not remembered: the next call asks again.
      void id.catch(() => supplierIds.delete(code));
    }
    return id;
  };
  /** Calls whose supplier and connection are being read; a flush waits for their tallies. */
  const reading = new Set<Promise<void>>();

  const tally = (supplier: number, day: string, check: ProductionCheckId, failed: boolean, evidence: unknown): void => {
    const key = `${supplier}|${day}|${check}`;
    let inc = pending.get(key);
    if (!inc) {
      inc = { supplierId: supplier, day, check, total: 0, failed: 0, evidence: [] };
      pending.set(key, inc);
    }
    inc.total++;
    if (failed) {
      inc.failed++;
      if (inc.evidence.length < EVIDENCE_KEPT) (inc.evidence as unknown[]).push(evidence);
    }
  };

  /** Sees every production call (the connections' observer); the kit's sandbox calls never come here. */
  const recorder: CallRecorder = {
    record(call: CallRecord): void {
      // The gateway's day (its clock) when the call ended, as the puller's and the order pusher's records use.
      const day = beijingDay(deps.clock());
      const read = tallyCall(call, day).catch((err: unknown) =>
        log.warn({ event: "production.record_failed", err, supplier: call.supplier }, "a production call was not tallied"),
      );
      reading.add(read);
      void read.finally(() => reading.delete(read));
    },
  };

  async function tallyCall(call: CallRecord, day: string): Promise<void> {
    const id = await supplierId(call.supplier);
    const connection = id === null ? null : await deps.connectionOf(call.supplier);
    if (id === null || !connection) return;
    const checks = callChecks(call, { timeoutMs: connection.timeoutMs, signsAnswers: connection.signMode === SignMode.HmacSha256 });
    if (checks.length === 0) return;
    const evidence = {
      at: call.startedAt,
      endpoint: call.endpoint,
      outcome: call.outcome,
      errorCode: call.errorCode ?? null,
      httpStatus: call.httpStatus ?? null,
      field: call.field ?? null,
      message: call.message?.slice(0, 300) ?? null,
      durationMs: call.durationMs,
      subject: call.subject?.slice(0, 100) ?? null,
    };
    for (const [check, failed] of checks) tally(id, day, check, failed, evidence);
  }

  /** Writes the tallies kept in memory; they are kept for the next try when the store refuses. */
  const flush = async (): Promise<void> => {
    if (reading.size > 0) await Promise.allSettled([...reading]);
    if (pending.size === 0) return;
    const batch = pending;
    pending = new Map();
    try {
      await deps.repo.addChecks([...batch.values()], EVIDENCE_KEPT);
    } catch (err) {
      for (const [key, inc] of batch) {
        const later = pending.get(key);
        pending.set(
          key,
          later
            ? {
                ...inc,
                total: inc.total + later.total,
                failed: inc.failed + later.failed,
                evidence: [...inc.evidence, ...later.evidence].slice(0, EVIDENCE_KEPT),
              }
            : inc,
        );
      }
      log.warn({ event: "production.flush_failed", err }, "production conformance tallies not written; retried");
    }
  };

  /** The day's verdicts from the stored tallies and the puller's and order pusher's own records. */
  const verdicts = async (id: number, day: string): Promise<CheckVerdict[]> => {
    const from = dayStart(day);
    const [checks, messages, answers] = await Promise.all([
      deps.repo.checksOf(id, day),
      deps.repo.messagesBetween(id, from, from + DAY_MS),
      deps.repo.submitAnswersBetween(id, from, from + DAY_MS),
    ]);
    const stored = new Map(checks.map((r) => [r.check, r]));
    const derived: Partial<Record<ProductionCheckId, { total: number; failed: number }>> = {
      quarantine: { total: messages.total, failed: messages.quarantined },
      order_answers: { total: answers.total, failed: answers.mismatched },
    };
    return productionCheckIds.flatMap((check) => {
      const row = stored.get(check);
      const t = derived[check] ?? (row ? { total: row.total, failed: row.failed } : { total: 0, failed: 0 });
      if (t.total === 0) return [];
      return [
        {
          check,
          total: t.total,
          failed: t.failed,
          passed: checkPassed(check, t.total, t.failed),
          evidence: row ? (JSON.parse(row.evidenceJson) as unknown[]) : [],
        },
      ];
    });
  };

  const scoreOf = (checks: readonly CheckVerdict[]): number =>
    checks.length === 0 ? 100 : Math.round((100 * checks.filter((c) => c.passed).length) / checks.length);

  /** Bad days ending with `day`, counted back over the stored scores (a day without calls breaks the run). */
  const badRun = async (id: number, day: string, tx: SqlRunner): Promise<number> => {
    let run = 0;
    let expected = day;
    for (const s of await deps.repo.scores(id, deps.settings.badDays + 1, tx)) {
      if (s.day > day) continue;
      if (s.day !== expected || s.score >= deps.settings.minScore) break;
      run++;
      expected = beijingDay(dayStart(expected) - DAY_MS);
    }
    return run;
  };

  const view = (row: ProductionScoreRow): DayScore => ({
    day: row.day,
    score: row.score,
    checks: JSON.parse(row.checksJson) as CheckVerdict[],
    action: row.action,
    proposal: row.proposal,
    decidedBy: row.decidedBy,
  });

  /**
   * Scores one supplier's day and applies the policy once for it: scoring a day again updates its
   * score, but what was done about it (a warning, a proposal, a suspension) is not done twice.
   */
  const evaluate = async (code: string, day: string): Promise<DayScore | null> => {
    await flush();
    const id = await supplierId(code);
    if (id === null) return null;
    const checks = await verdicts(id, day);
    if (checks.length === 0) return null;
    const score = scoreOf(checks);
    // What was done about the day is read in the transaction that does the next thing: two
    // evaluations of one day at once never both act on it.
    const { row, acted } = await deps.repo.transaction(async (tx) => {
      const before = await deps.repo.score(id, day, tx);
      const now = deps.clock();
      const scored: ProductionScoreRow = {
        supplierId: id,
        day,
        score,
        checksJson: JSON.stringify(checks),
        action: before?.action ?? "none",
        proposal: before?.proposal ?? null,
        decidedBy: before?.decidedBy ?? null,
        decidedAt: before?.decidedAt ?? null,
        evaluatedAt: now,
      };
      await deps.repo.putScore(scored, tx);
      if (score >= deps.settings.minScore || scored.action !== "none") return { row: scored, acted: null };
      const failing = checks.filter((c) => !c.passed).map((c) => c.check);
      const run = await badRun(id, day, tx);
      const due = run >= deps.settings.badDays && deps.settings.policy !== "warn";
      const action: ProductionScoreRow["action"] = !due ? "warn" : deps.settings.policy === "suspend" ? "suspend" : "propose";
      const held =
        action === "suspend"
          ? await deps.holdBack(code, `生产环境对接合规得分连续 ${run} 天低于 ${deps.settings.minScore}（${day}：${score}；未通过：${failing.join("、")}）`, tx)
          : null;
      const actedOn = { ...scored, action, proposal: action === "propose" ? ("open" as const) : null };
      await deps.repo.putScore(actedOn, tx);
      return { row: actedOn, acted: { action, failing, run, held } };
    });
    if (acted) {
      const { action, failing, run, held } = acted;
      const summary = {
        after: {
          day,
          score,
          failing,
          badDays: run,
          policy: deps.settings.policy,
          ...(held ? { suspendedMarks: held.marks, waiverEnded: held.waiverEnded } : {}),
        },
      };
      await deps.audit({ actor: "system:production-conformance", action: `conformance.production_${action}`, target: code, summary });
      log.warn(
        { event: `production.${action}`, supplier: code, day, score, failing, badDays: run, alert: action === "warn" ? undefined : "supplier_conformance_low" },
        "production conformance: a bad day acted on",
      );
    }
    return view(row);
  };

  let timer: NodeJS.Timeout | null = null;

  return {
    recorder,
    flush,
    evaluate,

    /** Writes the tallies every FLUSH_MS; a stop writes what is left. */
    start(): void {
      timer ??= setInterval(() => void flush(), FLUSH_MS);
      timer.unref();
    },
    /** Resolves once what is left is written. */
    stop(): Promise<void> {
      if (timer) clearInterval(timer);
      timer = null;
      return flush();
    },

    /** Scores yesterday (Beijing time) for every supplier with production calls: the daily job. */
    async evaluateYesterday(): Promise<number> {
      await flush();
      const day = beijingDay(deps.clock() - DAY_MS);
      let scored = 0;
      for (const { supplier } of await deps.accounts.listSuppliers()) if (await evaluate(supplier.code, day)) scored++;
      return scored;
    },

    /** The supplier's scored days, newest first, and the policy in force. */
    async history(code: string, limit = 30): Promise<{ days: DayScore[]; today: DayScore | null; policy: ProductionSettings } | null> {
      await flush();
      const id = await supplierId(code);
      if (id === null) return null;
      const today = beijingDay(deps.clock());
      const [checks, days] = await Promise.all([verdicts(id, today), deps.repo.scores(id, limit)]);
      return {
        days: days.map(view),
        // Today so far, as it stands: the daily job scores and acts on it once the day has ended.
        today: checks.length === 0 ? null : { day: today, score: scoreOf(checks), checks, action: "none", proposal: null, decidedBy: null },
        policy: deps.settings,
      };
    },

    /**
     * An admin's decision on a proposed suspension: approving suspends the supplier's marks. The
     * open proposal is read, and decided, in `tx` when given (with the caller's audit row), else in
     * a transaction of its own.
     */
    async decide(
      code: string,
      day: string,
      decision: "approve" | "dismiss",
      actor: string,
      reason: string,
      tx?: SqlRunner,
    ): Promise<{ ok: true; held: { marks: string[]; waiverEnded: boolean } | null } | { ok: false; reason: "not_found" }> {
      // Inside the caller's transaction the supplier is read through it (the cache may not hold it yet).
      const id = tx ? ((await deps.accounts.supplierByCode(code, tx))?.id ?? null) : await supplierId(code);
      if (id === null) return { ok: false, reason: "not_found" };
      const decide = async (db: SqlRunner) => {
        const row = await deps.repo.score(id, day, db);
        if (!row || row.proposal !== "open") return { ok: false as const, reason: "not_found" as const };
        const held = decision === "approve" ? await deps.holdBack(code, reason, db) : null;
        await deps.repo.decide(id, day, decision === "approve" ? "approved" : "dismissed", actor, deps.clock(), db);
        return { ok: true as const, held };
      };
      return tx ? decide(tx) : deps.repo.transaction(decide);
    },

    /** Each supplier's latest scored day, for the score gauge of /metrics. */
    async readings(): Promise<Array<{ supplier: string; score: number }>> {
      const suppliers = (await deps.accounts.listSuppliers()).map(({ supplier }) => supplier);
      const latest = await Promise.all(suppliers.map((supplier) => deps.repo.scores(supplier.id, 1)));
      return suppliers.flatMap((supplier, i) => {
        const [day] = latest[i] ?? [];
        return day ? [{ supplier: supplier.code, score: day.score }] : [];
      });
    },
  };
}
