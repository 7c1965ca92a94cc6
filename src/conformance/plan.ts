/**
 * The certification plan: modules of steps, versioned with the contract. Every result carries the
 * kit version and the contract version it was judged against.
 */
export const KIT_VERSION = "1.0.0";

/** The docking contract edition the kit checks (../shared/docking-contract.md, Tianjin 2022 profile). */
export const CONTRACT_VERSION = "tj-2022.1";

/**
 * Contract editions in order, each with the modules its changes affect. A mark issued under an
 * earlier edition gets a re-certify-by date only when a later edition affects its modules.
 */
export type ContractEdition = { version: string; affects: readonly ModuleId[] };
export const CONTRACT_HISTORY: readonly ContractEdition[] = [{ version: "tj-2022.1", affects: [] }];

export const moduleIds = ["token", "message-pool", "product-reads", "orders", "catalog-products", "qps", "answers", "mall-usage", "fuzz"] as const;
export type ModuleId = (typeof moduleIds)[number];

export const stepStatuses = ["passed", "failed", "warning", "not_implemented"] as const;
export type StepStatus = (typeof stepStatuses)[number];
export type ModuleStatus = "passed" | "failed" | "warning";

export type StepDef = {
  id: string;
  title: string;
  /** Where the contract says it. */
  section: string;
  /** Certification needs every required step passed; the others are advice (warnings). */
  required: boolean;
  /** The step changes the supplier's test environment (deletes messages, places test orders). */
  changesState: boolean;
  /** Only in this sign mode (nonce replay and response signatures exist in hmac-sha256 only). */
  signMode?: "hmac-sha256";
};

export type ModuleDef = { id: ModuleId; title: string; section: string; steps: readonly StepDef[] };

/** Evidence of a step: the exchange (secrets and personal data redacted), expected against got. */
export type Evidence = {
  operation?: string;
  request?: Record<string, string>;
  response?: { status: number; signTimestamp?: string; sign?: string; body: string } | { error: string };
  expected?: string;
  got?: string;
};

export type StepResult = StepDef & { status: StepStatus; detail: string; evidence: Evidence[] };
export type ModuleResult = { id: ModuleId; title: string; section: string; status: ModuleStatus; steps: StepResult[] };

/** Test orders start with this, so a supplier recognises and cancels them (S-11 yggc_order). */
export const TEST_ORDER_PREFIX = "KITTEST";

export function moduleStatus(steps: readonly StepResult[]): ModuleStatus {
  if (steps.some((s) => s.required && s.status !== "passed")) return "failed";
  if (steps.some((s) => s.status !== "passed")) return "warning";
  return "passed";
}

/** A skip is not a pass: every required step of every module must have passed. */
export function runPassed(modules: readonly ModuleResult[]): boolean {
  return modules.every((m) => m.steps.every((s) => !s.required || s.status === "passed"));
}

/** The modules changed since `version` (empty when none, or when `version` is current). */
export function modulesAffectedSince(version: string, history: readonly ContractEdition[] = CONTRACT_HISTORY): ModuleId[] {
  const from = history.findIndex((e) => e.version === version);
  const later = from === -1 ? history : history.slice(from + 1);
  return [...new Set(later.flatMap((e) => e.affects))];
}
