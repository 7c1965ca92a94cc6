import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { ModuleResult, StepStatus } from "./plan.js";

export const REPORT_FORMAT = "emall-conformance-report/1";

/** The test report (对接测试报告): machine-readable, signed, and the source of the HTML page. */
export type ConformanceReport = {
  format: typeof REPORT_FORMAT;
  runId: string;
  issuer: { platformCode: string; platformName: string };
  supplier: { code: string; name: string; creditCode: string };
  sandboxBaseUrl: string;
  signMode: string;
  kitVersion: string;
  contractVersion: string;
  /** Present on an advisory run (random and malformed inputs from this seed): it never issues a mark. */
  advisory?: { seed: number };
  startedAt: string;
  endedAt: string;
  summary: {
    passed: boolean;
    modules: Record<"passed" | "failed" | "warning", number>;
    steps: Record<StepStatus, number>;
    /** Required steps that did not pass: why there is no mark. */
    blocking: Array<{ module: string; step: string; title: string; status: StepStatus }>;
  };
  modules: ModuleResult[];
};

export function buildReport(input: Omit<ConformanceReport, "format" | "summary"> & { passed: boolean }): ConformanceReport {
  const { passed, ...rest } = input;
  const modules = { passed: 0, failed: 0, warning: 0 };
  const steps: Record<StepStatus, number> = { passed: 0, failed: 0, warning: 0, not_implemented: 0 };
  const blocking: ConformanceReport["summary"]["blocking"] = [];
  for (const m of input.modules) {
    modules[m.status]++;
    for (const s of m.steps) {
      steps[s.status]++;
      if (s.required && s.status !== "passed") blocking.push({ module: m.id, step: s.id, title: s.title, status: s.status });
    }
  }
  return { format: REPORT_FORMAT, ...rest, summary: { passed, modules, steps, blocking } };
}

/** The report's bytes as signed and written: one canonical serialization. */
export function reportBytes(report: ConformanceReport): Buffer {
  return Buffer.from(JSON.stringify(report, null, 2) + "\n", "utf8");
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

export function sha256(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha256").update(bytes).digest());
}

export type WrittenReport = { jsonPath: string; signaturePath: string; htmlPath: string };

/** RUN.json, RUN.json.jws (detached JWS over its SHA-256) and RUN.html in `dir`. */
export function writeReportFiles(dir: string, runId: string, files: { json: Buffer; signature: string; html: string }): WrittenReport {
  const base = resolve(dir);
  mkdirSync(base, { recursive: true });
  const jsonPath = join(base, `${runId}.json`);
  const signaturePath = `${jsonPath}.jws`;
  const htmlPath = join(base, `${runId}.html`);
  writeFileSync(jsonPath, files.json);
  writeFileSync(signaturePath, files.signature + "\n");
  writeFileSync(htmlPath, files.html);
  return { jsonPath, signaturePath, htmlPath };
}
