import type { SignMode } from "../contract/index.js";
import { createHttpTransport } from "../supplier/http-transport.js";
import { SupplierClient, type SupplierConnection } from "../supplier/supplier-client.js";
import type { ValidationContext } from "../sync/product-validation.js";
import type { MallUsageRow } from "../store/repos/conformance-repo.js";
import { type Exchange, type KitContext, recordingTransport, result } from "./kit-context.js";
import { kitModules } from "./modules/index.js";
import { fuzzModule } from "./modules/fuzz-module.js";
import { type ModuleDef, type ModuleResult, type StepDef, moduleStatus, runPassed } from "./plan.js";

/** A supplier's test environment: its sandbox base URL and the account it issued the mall there. */
export type SandboxTarget = {
  baseUrl: string;
  username: string;
  password: string;
  appSecret: string;
  signMode: SignMode;
  bodyFormat: "form" | "json";
};

export type KitRunInput = {
  runId: string;
  supplierCode: string;
  platformCode: string;
  target: SandboxTarget;
  validation: ValidationContext;
  testArea: string;
  mallUsage: MallUsageRow[] | null;
  clock: () => number;
  onModule?: (event: { phase: "start" | "done"; module: ModuleDef; result?: ModuleResult }) => void;
  /** An advisory run adds seeded random and malformed inputs; it never counts toward a mark. */
  advisory?: { seed: number };
};

export type KitRunOutcome = { passed: boolean; modules: ModuleResult[]; startedAt: number; endedAt: number };

/** Sandbox calls: generous, since a test environment is often slow, but never a hang. */
const KIT_TIMEOUT_MS = 15_000;
const KIT_QPS = 50;

/** The steps of the plan for a sign mode (nonce replay and response signatures exist in hmac only). */
export function planSteps(def: ModuleDef, signMode: SignMode): StepDef[] {
  return def.steps.filter((s) => s.signMode === undefined || s.signMode === signMode);
}

/** The plan as data: modules and steps, which of them are required and which change state. */
export function certificationPlan(signMode: SignMode): ModuleDef[] {
  return kitModules.map((m) => ({ ...m.def, steps: planSteps(m.def, signMode) }));
}

/**
 * One certification run: the fixed, named scenarios of every module, in order, through the typed
 * supplier client. A step the module did not report is failed ("not run"), never passed.
 */
export async function runKit(input: KitRunInput): Promise<KitRunOutcome> {
  const exchanges: Exchange[] = [];
  const transport = recordingTransport(createHttpTransport({ maxSockets: 8 }), exchanges);
  const conn: SupplierConnection = {
    supplier: input.supplierCode,
    platformCode: input.platformCode,
    ...input.target,
    timeoutMs: KIT_TIMEOUT_MS,
    maxConcurrent: 8,
    qps: KIT_QPS,
    // One attempt a call: the kit judges what the supplier answers, not what a retry hides.
    retry: { read: { maxAttempts: 1 }, delete: { maxAttempts: 1 }, submit: { maxAttempts: 1 }, confirm: { maxAttempts: 1 }, token: { maxAttempts: 1 } },
  };
  const opened: SupplierClient[] = [];
  const clientWith = (overrides: Partial<SupplierConnection>, deps: { now?: () => number } = {}) => {
    const c = new SupplierClient(
      { ...conn, ...overrides },
      { transport: { post: (r) => transport.post(r), close: () => undefined }, now: deps.now ?? input.clock },
    );
    opened.push(c);
    return c;
  };
  const client = clientWith({});
  const ctx: KitContext = {
    runId: input.runId,
    conn,
    client,
    clientWith,
    exchanges,
    facts: { offeredSkus: [], deletedMessageSkus: [] },
    validation: input.validation,
    testArea: input.testArea,
    clock: input.clock,
    mallUsage: input.mallUsage,
  };
  const startedAt = input.clock();
  const modules: ModuleResult[] = [];
  try {
    for (const m of input.advisory ? [...kitModules, fuzzModule(input.advisory.seed)] : kitModules) {
      const def = { ...m.def, steps: planSteps(m.def, conn.signMode) };
      input.onModule?.({ phase: "start", module: def });
      let reported;
      try {
        reported = await m.run(ctx);
      } catch (err) {
        reported = def.steps.map((s) => result(s, "failed", `检查中断: ${err instanceof Error ? err.message : String(err)}`));
      }
      const steps = def.steps.map((s) => reported.find((r) => r.id === s.id) ?? result(s, "failed", "未执行"));
      const done: ModuleResult = { id: def.id, title: def.title, section: def.section, status: moduleStatus(steps), steps };
      modules.push(done);
      input.onModule?.({ phase: "done", module: def, result: done });
    }
  } finally {
    await Promise.all(opened.map((c) => c.close()));
    transport.close();
  }
  return { passed: runPassed(modules), modules, startedAt, endedAt: input.clock() };
}
