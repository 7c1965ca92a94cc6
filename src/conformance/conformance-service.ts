import type { JSONWebKeySet } from "jose";
import type { Config } from "../config/config.js";
import { DomainError } from "../lib/errors.js";
import { newId } from "../lib/ids.js";
import type { KeyRing } from "../security/key-ring.js";
import type { AccountRepo, SupplierRow } from "../store/repos/account-repo.js";
import type { ConformanceRepo, ConformanceRunListRow, ConformanceRunRow, GateWaiverRow, TrustMarkRow } from "../store/repos/conformance-repo.js";
import type { ReferenceRepo } from "../store/repos/reference-repo.js";
import type { SqlRunner } from "../store/sql/sql-store.js";
import { ADVERTISING_LAW_TERMS } from "../sync/product-validation.js";
import { createValidationContext } from "../sync/validation-context.js";
import { CONTRACT_HISTORY, CONTRACT_VERSION, type ContractEdition, KIT_VERSION, type ModuleResult, modulesAffectedSince } from "./plan.js";
import { type GateVerdict, createProductionGate } from "./production-gate.js";
import { type ConformanceReport, buildReport, reportBytes, sha256, sha256Hex, writeReportFiles } from "./report.js";
import { reportHtml } from "./report-html.js";
import { type KitRunInput, type SandboxTarget, runKit } from "./runner.js";
import { createSigningKeys, verifyDetached } from "./signing-keys.js";
import { type MarkState, type MarkVerification, markState, signMark, verifyMark } from "./trust-marks.js";

export class ConformanceError extends DomainError {
  override readonly name = "ConformanceError";
  declare readonly kind: "not_found" | "invalid" | "conflict";
  constructor(kind: "not_found" | "invalid" | "conflict", message: string) {
    super(kind, message);
  }
}

/** §8 天津市 / 市辖区 / 和平区: where test orders and stock calls point. */
export const TEST_AREA = "120000_120100_120101";
const DAY_MS = 86_400_000;

export type RunView = {
  id: string;
  supplier: string;
  passed: boolean;
  baseUrl: string;
  kitVersion: string;
  contractVersion: string;
  startedAt: string;
  endedAt: string;
  modules: Array<{ id: string; title: string; status: string; steps: Array<{ id: string; title: string; status: string; detail: string }> }>;
  reportJson: string;
  reportHtml: string;
  markId: string | null;
};

export type MarkView = {
  id: string;
  supplier: string;
  runId: string;
  state: MarkState;
  storedState: TrustMarkRow["state"];
  reason: string | null;
  kitVersion: string;
  contractVersion: string;
  issuedAt: string;
  expiresAt: string;
  recertifyBy: string | null;
  jws: string;
};

/** A supplier's current mark, its gate verdict and any waiver. */
export type Standing = { mark: MarkView | null; gate: { open: boolean; via: string | null; reason: string | null }; waiver: GateWaiverRow | null };

export type ConformanceService = ReturnType<typeof createConformanceService>;

export type ConformanceDeps = {
  repo: ConformanceRepo;
  accounts: AccountRepo;
  reference: ReferenceRepo;
  keys: KeyRing;
  config: Config;
  clock: () => number;
  history?: readonly ContractEdition[];
};

const iso = (ms: number) => new Date(ms).toISOString();

/** The conformance kit's one door: runs and their reports, trust marks and their states, the gate. */
export function createConformanceService(deps: ConformanceDeps) {
  const signing = createSigningKeys(deps.repo, deps.keys, deps.clock);
  const gate = createProductionGate(deps.repo, deps.clock);
  const history = deps.history ?? CONTRACT_HISTORY;

  /** `db`: the caller's transaction when it is inside one (a body reads only through its handle). */
  const supplierOf = async (code: string, db?: SqlRunner): Promise<SupplierRow> => {
    const s = await deps.accounts.supplierByCode(code, db);
    if (!s) throw new ConformanceError("not_found", `no supplier with code ${code}`);
    return s;
  };
  const codeOf = async (supplierId: number, db?: SqlRunner) => (await deps.accounts.supplierById(supplierId, db))?.code ?? String(supplierId);

  const runView = async (row: ConformanceRunListRow): Promise<RunView> => ({
    id: row.id,
    supplier: await codeOf(row.supplierId),
    passed: row.passed === 1,
    baseUrl: row.baseUrl,
    kitVersion: row.kitVersion,
    contractVersion: row.contractVersion,
    startedAt: iso(row.startedAt),
    endedAt: iso(row.endedAt),
    modules: JSON.parse(row.summaryJson) as RunView["modules"],
    reportJson: row.reportJsonPath,
    reportHtml: row.reportHtmlPath,
    markId: row.markId,
  });

  const markView = async (m: TrustMarkRow, db?: SqlRunner): Promise<MarkView> => ({
    id: m.id,
    supplier: await codeOf(m.supplierId, db),
    runId: m.runId,
    state: markState(m, deps.clock()),
    storedState: m.state,
    reason: m.stateReason,
    kitVersion: m.kitVersion,
    contractVersion: m.contractVersion,
    issuedAt: iso(m.issuedAt),
    expiresAt: iso(m.expiresAt),
    recertifyBy: m.recertifyBy === null ? null : iso(m.recertifyBy),
    jws: m.jws,
  });

  const summaryOf = (modules: readonly ModuleResult[]) =>
    modules.map((m) => ({
      id: m.id,
      title: m.title,
      status: m.status,
      steps: m.steps.map((s) => ({ id: s.id, title: s.title, status: s.status, detail: s.detail })),
    }));

  /** Marks issued under an earlier contract edition whose changes touch the kit's modules get a re-certify-by date. */
  const applyContractChanges = async (): Promise<number> => {
    const now = deps.clock();
    let set = 0;
    for (const mark of await deps.repo.marksNeedingRecertifyCheck(CONTRACT_VERSION, now)) {
      if (modulesAffectedSince(mark.contractVersion, history).length === 0) continue;
      await deps.repo.setRecertifyBy(mark.id, now + deps.config.CONFORMANCE_RECERTIFY_GRACE_DAYS * DAY_MS);
      set++;
    }
    return set;
  };

  /**
   * Suspends or revokes every mark of the supplier still in its lifetime, not only the newest: an
   * older mark handed out earlier would otherwise go on verifying as valid. The current mark is
   * changed whatever its dates, as the one its page shows. A gate waiver granted before ends: the
   * later decision is the one that holds (a waiver granted after it opens the gate again). What
   * decides the change is read in the transaction that makes it: `tx` when given, else its own.
   */
  const changeMarkState = async (
    code: string,
    state: "suspended" | "revoked",
    reason: string,
    tx?: SqlRunner,
  ): Promise<{ before: MarkView; after: MarkView; changed: string[]; waiverEnded: GateWaiverRow | null }> => {
    const supplier = await supplierOf(code, tx);
    if (reason.trim() === "") throw new ConformanceError("invalid", "a reason is required");
    return tx ? changeMarksIn(tx, supplier, state, reason) : deps.repo.transaction((db) => changeMarksIn(db, supplier, state, reason));
  };
  /** The change itself, on `db` (a transaction): what decides it is read there. */
  const changeMarksIn = async (
    db: SqlRunner,
    supplier: SupplierRow,
    state: "suspended" | "revoked",
    reason: string,
  ): Promise<{ before: MarkView; after: MarkView; changed: string[]; waiverEnded: GateWaiverRow | null }> => {
    const { code } = supplier;
    const mark = await deps.repo.currentMark(supplier.id, db);
    if (!mark) throw new ConformanceError("not_found", `supplier ${code} has no trust mark`);
    const now = deps.clock();
    const changes = (m: TrustMarkRow) => m.state !== "revoked" && m.state !== state && (m.id === mark.id || markState(m, now) !== "expired");
    const changed = (await deps.repo.marksOf(supplier.id, db)).filter(changes).map((m) => m.id);
    if (changed.length === 0)
      throw new ConformanceError("conflict", `the trust mark ${mark.id} of ${code} is already ${mark.state === "revoked" ? "revoked" : state}`);
    const before = await markView(mark, db);
    const waiverEnded = (await deps.repo.setMarksState(supplier.id, changed, state, reason.trim(), now, db)) ?? null;
    const after = await deps.repo.mark(mark.id, db);
    return { before, after: await markView(after ?? mark, db), changed, waiverEnded };
  };

  return {
    gate,
    signing,
    applyContractChanges,
    jwks: (): Promise<JSONWebKeySet> => signing.jwks(),

    /**
     * A certification run against the supplier's test environment: the report is written and
     * signed, and a passing run issues a trust mark. Whatever the verdict, the run is stored.
     */
    async run(args: {
      supplier: string;
      target: SandboxTarget;
      actor: string;
      onModule?: KitRunInput["onModule"];
      advisory?: { seed: number };
      runId?: string;
      /** Asked before the run and any mark are stored: a queued run interrupted meanwhile records nothing. */
      stillOurs?: () => boolean | Promise<boolean>;
    }): Promise<{ run: RunView; report: ConformanceReport; trustMark: string | null; signaturePath: string }> {
      const supplier = await supplierOf(args.supplier);
      // Advisory runs are not certification runs: their own id prefix, files only, never a mark. A
      // queued run (run-queue.ts) comes with the id it was queued under.
      const runId = args.runId ?? newId(args.advisory ? "cadv" : "crun", 9);
      const account = await deps.accounts.accountOfSupplier(supplier.id);
      const bannedTerms = [
        ...ADVERTISING_LAW_TERMS,
        ...deps.config.BANNED_TERMS.split(",")
          .map((t) => t.trim())
          .filter(Boolean),
      ];
      const outcome = await runKit({
        runId,
        supplierCode: supplier.code,
        platformCode: deps.config.PLATFORM_CODE,
        target: args.target,
        validation: await createValidationContext(deps.reference, JSON.parse(supplier.domainsJson) as string[], bannedTerms),
        testArea: TEST_AREA,
        mallUsage: account ? await deps.repo.mallUsageOf(account.id) : null,
        clock: deps.clock,
        onModule: args.onModule,
        advisory: args.advisory,
      });
      const report = buildReport({
        runId,
        issuer: { platformCode: deps.config.PLATFORM_CODE, platformName: deps.config.PLATFORM_NAME },
        supplier: { code: supplier.code, name: supplier.name, creditCode: supplier.creditCode },
        sandboxBaseUrl: args.target.baseUrl,
        signMode: args.target.signMode,
        kitVersion: KIT_VERSION,
        contractVersion: CONTRACT_VERSION,
        ...(args.advisory ? { advisory: args.advisory } : {}),
        startedAt: iso(outcome.startedAt),
        endedAt: iso(outcome.endedAt),
        modules: outcome.modules,
        passed: outcome.passed,
      });
      const bytes = reportBytes(report);
      const digest = sha256Hex(bytes);
      const signature = await signing.signDetached(sha256(bytes));
      const files = writeReportFiles(deps.config.CONFORMANCE_REPORT_DIR, runId, {
        json: bytes,
        signature,
        html: reportHtml(report, { digest, jws: signature }),
      });

      let mark: TrustMarkRow | null = null;
      if (outcome.passed && !args.advisory) {
        const issuedAt = deps.clock();
        const expiresAt = issuedAt + deps.config.TRUST_MARK_TTL_DAYS * DAY_MS;
        const markId = newId("mark", 9);
        const signed = await signMark(signing, {
          iss: deps.config.PLATFORM_CODE,
          supplier_code: supplier.code,
          credit_code: supplier.creditCode,
          report_sha256: digest,
          run_id: runId,
          kit_version: KIT_VERSION,
          contract_version: CONTRACT_VERSION,
          markId,
          issuedAt,
          expiresAt,
        });
        mark = {
          id: markId,
          supplierId: supplier.id,
          runId,
          kid: signed.kid,
          jws: signed.jws,
          kitVersion: KIT_VERSION,
          contractVersion: CONTRACT_VERSION,
          issuedAt,
          expiresAt,
          state: "valid",
          stateReason: null,
          stateChangedAt: null,
          recertifyBy: null,
        };
      }
      const row: ConformanceRunRow = {
        id: runId,
        supplierId: supplier.id,
        baseUrl: args.target.baseUrl,
        kitVersion: KIT_VERSION,
        contractVersion: CONTRACT_VERSION,
        passed: outcome.passed ? 1 : 0,
        startedAt: outcome.startedAt,
        endedAt: outcome.endedAt,
        summaryJson: JSON.stringify(summaryOf(outcome.modules)),
        reportJson: bytes.toString("utf8"),
        reportDigest: digest,
        reportSignature: signature,
        reportJsonPath: files.jsonPath,
        reportHtmlPath: files.htmlPath,
        markId: mark?.id ?? null,
        actor: args.actor,
      };
      if (args.stillOurs && !(await args.stillOurs()))
        throw new ConformanceError("conflict", `run ${runId} was interrupted before it ended; its result is not recorded`);
      if (!args.advisory) await deps.repo.insertRunWithMark(row, mark);
      return { run: await runView(row), report, trustMark: mark?.jws ?? null, signaturePath: files.signaturePath };
    },

    async runs(filter: { supplier?: string; limit?: number } = {}): Promise<RunView[]> {
      const supplierId = filter.supplier === undefined ? undefined : (await supplierOf(filter.supplier)).id;
      return Promise.all((await deps.repo.runs({ supplierId, limit: Math.min(filter.limit ?? 50, 500) })).map(runView));
    },

    /** A run with its full report (evidence included) and the detached signature. */
    async show(runId: string): Promise<{
      run: RunView;
      report: ConformanceReport;
      reportText: string;
      signature: string;
      digest: string;
      mark: MarkView | null;
      html: string;
    }> {
      const row = await deps.repo.run(runId);
      if (!row) throw new ConformanceError("not_found", `no conformance run ${runId}`);
      const report = JSON.parse(row.reportJson) as ConformanceReport;
      const mark = row.markId ? await deps.repo.mark(row.markId) : undefined;
      return {
        run: await runView(row),
        report,
        reportText: row.reportJson,
        signature: row.reportSignature,
        digest: row.reportDigest,
        mark: mark ? await markView(mark) : null,
        html: reportHtml(report, { digest: row.reportDigest, jws: row.reportSignature }),
      };
    },

    /** The supplier's current mark, its gate verdict and any waiver (the supplier page and dashboard); in `tx` when given. */
    async standing(code: string, tx?: SqlRunner): Promise<Standing> {
      const supplier = await supplierOf(code, tx);
      return standingOf(supplier.id, tx);
    },
    standingOf,

    /** Every supplier's current mark, for the trust-mark gauges of /metrics. */
    async markReadings(): Promise<Array<{ supplier: string; state: MarkState; expiresAtMs: number }>> {
      const suppliers = (await deps.accounts.listSuppliers()).map(({ supplier }) => supplier);
      const marks = await Promise.all(suppliers.map((supplier) => deps.repo.currentMark(supplier.id)));
      return suppliers.flatMap((supplier, i) => {
        const mark = marks[i];
        return mark ? [{ supplier: supplier.code, state: markState(mark, deps.clock()), expiresAtMs: mark.expiresAt }] : [];
      });
    },

    /** In `tx` when given (with the caller's audit row), else in a transaction of its own. */
    suspend: (code: string, reason: string, tx?: SqlRunner) => changeMarkState(code, "suspended", reason, tx),
    revoke: (code: string, reason: string, tx?: SqlRunner) => changeMarkState(code, "revoked", reason, tx),

    /** Waives the gate for one supplier (e.g. already docked with another mall), with the reason; in `tx` when given. */
    async waive(code: string, reason: string, actor: string, tx?: SqlRunner): Promise<GateWaiverRow> {
      const supplier = await supplierOf(code, tx);
      if (reason.trim() === "") throw new ConformanceError("invalid", "a reason is required");
      const row: GateWaiverRow = { supplierId: supplier.id, reason: reason.trim(), actor, createdAt: deps.clock() };
      await deps.repo.putWaiver(row, tx);
      return row;
    },

    /**
     * Withdraws the supplier's gate waiver, with the reason (audited by the caller); the waiver
     * withdrawn. Read and removed in `tx` when given, else in a transaction of its own.
     */
    async withdrawWaiver(code: string, reason: string, tx?: SqlRunner): Promise<GateWaiverRow> {
      const supplier = await supplierOf(code, tx);
      if (reason.trim() === "") throw new ConformanceError("invalid", "a reason is required");
      const withdraw = async (db: SqlRunner) => {
        const waiver = await deps.repo.waiver(supplier.id, db);
        if (!waiver || !(await deps.repo.deleteWaiver(supplier.id, db))) throw new ConformanceError("not_found", `supplier ${code} has no gate waiver`);
        return waiver;
      };
      return tx ? withdraw(tx) : deps.repo.transaction(withdraw);
    },

    /**
     * Holds a supplier back from production (production conformance's suspension): its live marks
     * suspended, which ends any waiver; with no mark left to suspend, its waiver withdrawn. Answers
     * what was done: nothing when the gate was closed already. In `tx` when given, else in a
     * transaction of its own.
     */
    async holdBack(code: string, reason: string, tx?: SqlRunner): Promise<{ marks: string[]; waiverEnded: boolean }> {
      const supplier = await supplierOf(code, tx);
      const hold = async (db: SqlRunner) => {
        const mark = await deps.repo.currentMark(supplier.id, db);
        if (mark && mark.state === "valid" && markState(mark, deps.clock()) === "valid") {
          if (reason.trim() === "") throw new ConformanceError("invalid", "a reason is required");
          const { changed, waiverEnded } = await changeMarksIn(db, supplier, "suspended", reason);
          return { marks: changed, waiverEnded: waiverEnded !== null };
        }
        if ((await deps.repo.waiver(supplier.id, db)) && (await deps.repo.deleteWaiver(supplier.id, db))) return { marks: [], waiverEnded: true };
        return { marks: [], waiverEnded: false };
      };
      return tx ? hold(tx) : deps.repo.transaction(hold);
    },

    async verifyMark(jws: string, jwks?: JSONWebKeySet): Promise<MarkVerification & { state: MarkState | null }> {
      const verified = await verifyMark(jws, jwks ?? (await signing.jwks()), deps.clock());
      if (!verified.ok) return { ...verified, state: null };
      const stored = await deps.repo.mark(verified.claims.jti);
      const state: MarkState = stored ? markState(stored, deps.clock()) : verified.expired ? "expired" : "valid";
      return { ...verified, state };
    },

    /** Checks a report file's detached signature over its SHA-256 against the published keys. */
    async verifyReport(
      reportText: Buffer,
      signature: string,
      jwks?: JSONWebKeySet,
    ): Promise<{ ok: boolean; kid: string | null; digest: string; runId: string | null; passed: boolean | null; reason: string | null }> {
      const digest = sha256Hex(reportText);
      const verified = await verifyDetached(signature, sha256(reportText), jwks ?? (await signing.jwks()));
      let parsed: Partial<ConformanceReport> | null = null;
      try {
        parsed = JSON.parse(reportText.toString("utf8")) as Partial<ConformanceReport>;
      } catch {
        parsed = null;
      }
      return {
        ok: verified.ok,
        kid: verified.ok ? verified.kid : null,
        digest,
        runId: parsed?.runId ?? null,
        passed: parsed?.summary?.passed ?? null,
        reason: verified.ok ? null : verified.reason,
      };
    },
  };

  /** In `tx` when given: a caller answering with the standing its own writes left reads it there. */
  async function standingOf(supplierId: number, tx?: SqlRunner): Promise<Standing> {
    const verdict: GateVerdict = await gate.verdict(supplierId, tx);
    const mark = await deps.repo.currentMark(supplierId, tx);
    return {
      mark: mark ? await markView(mark, tx) : null,
      gate: verdict.open ? { open: true, via: verdict.via, reason: null } : { open: false, via: null, reason: verdict.reason },
      waiver: (await deps.repo.waiver(supplierId, tx)) ?? null,
    };
  }
}
