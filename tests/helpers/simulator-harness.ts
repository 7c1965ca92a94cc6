import { join } from "node:path";
import { SignMode, formatBeijingTimestamp, signRequest, yggcMd5Sign } from "../../src/contract/index.js";
import { newNonce } from "../../src/lib/ids.js";
import { type ReferenceData, loadReferenceData } from "../../src/simulator/reference-data.js";
import { loadScenarios } from "../../src/simulator/scenario-runner.js";
import { type RunningSimulator, startSimulator } from "../../src/simulator/simulator-server.js";
import type { SimulatorOptions } from "../../src/simulator/supplier-simulator.js";

export const FIXTURES_DIR = join(import.meta.dirname, "../../fixtures");
export const TEST_ACCOUNT = {
  username: "tjzfcg_demo",
  password: "Pa55w0rd",
  appSecret: "k3ySecret-For-Tests-0123456789abcdef",
} as const;
export const TEST_PLATFORM_CODE = "TJZFCG";

let reference: ReferenceData | null = null;
/** The real fixtures, read once per test file. */
export function referenceData(): ReferenceData {
  reference ??= loadReferenceData(FIXTURES_DIR);
  return reference;
}

export type SimulatorLaunch = Partial<Omit<SimulatorOptions, "account">> & { signMode?: SignMode };

/** A simulator on an ephemeral loopback port with the test account; small pool unless asked. */
export function launchSimulator(launch: SimulatorLaunch = {}): Promise<RunningSimulator> {
  const { signMode = SignMode.HmacSha256, ...rest } = launch;
  return startSimulator({
    account: { ...TEST_ACCOUNT, signMode },
    platformCode: TEST_PLATFORM_CODE,
    reference: referenceData(),
    products: 60,
    scenarios: loadScenarios(join(FIXTURES_DIR, "scenarios")),
    ...rest,
  });
}

export type WireAnswer = { status: number; headers: Headers; text: string; json: unknown };

/** A raw docking call with fetch: what an independent client written from the contract sends. */
export async function post(url: string, fields: Record<string, string>, format: "form" | "json" = "form"): Promise<WireAnswer> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": format === "form" ? "application/x-www-form-urlencoded" : "application/json" },
    body: format === "form" ? new URLSearchParams(fields).toString() : JSON.stringify(fields),
  });
  const text = await res.text();
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    json = null;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** §2.1 token call fields, signed for the mode. */
export function tokenFields(signMode: SignMode, overrides: Record<string, string> = {}, nowMs = Date.now()): Record<string, string> {
  const base: Record<string, string> = {
    username: TEST_ACCOUNT.username,
    password: TEST_ACCOUNT.password,
    timestamp: formatBeijingTimestamp(nowMs),
    ...(signMode === SignMode.HmacSha256 ? { nonce: newNonce() } : {}),
    ...overrides,
  };
  if (overrides.sign !== undefined) return base;
  return { ...base, sign: sign(signMode, base) };
}

function sign(signMode: SignMode, fields: Record<string, string>): string {
  if (signMode === SignMode.HmacSha256) return signRequest(TEST_ACCOUNT.appSecret, fields);
  return yggcMd5Sign(fields.username ?? "", fields.password ?? "", fields.timestamp ?? "");
}

/** §2.2 business call fields: token, platformCode and (hmac) timestamp, nonce, sign. */
export function callFields(signMode: SignMode, token: string, fields: Record<string, string>, nowMs = Date.now()): Record<string, string> {
  const base: Record<string, string> = { token, platformCode: TEST_PLATFORM_CODE, ...fields };
  if (signMode !== SignMode.HmacSha256) return base;
  const signed = { ...base, timestamp: formatBeijingTimestamp(nowMs), nonce: newNonce() };
  return { ...signed, sign: signRequest(TEST_ACCOUNT.appSecret, signed) };
}
