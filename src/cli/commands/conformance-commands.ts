import { existsSync, readFileSync } from "node:fs";
import type { JSONWebKeySet } from "jose";
import { SignMode, signModes } from "../../contract/index.js";
import type { MarkView, RunView } from "../../conformance/conformance-service.js";
import { type DayScore, beijingDay, unscorableDay } from "../../conformance/production-conformance.js";
import { CONTRACT_VERSION, KIT_VERSION } from "../../conformance/plan.js";
import { certificationPlan } from "../../conformance/runner.js";
import type { GateWaiverRow } from "../../store/repos/conformance-repo.js";
import { type Command, CommandFailed, type CommandResult, UsageError, flags, requireFlag, table } from "../cli-kit.js";
import { waiverJson } from "./gate-commands.js";
import { type SandboxSecrets, readSecretsFile, readSecretsFromStdin } from "../sandbox-secrets.js";

const STATUS_MARK: Record<string, string> = { passed: "✔", failed: "✘", warning: "!", not_implemented: "?" };

/** The run as the `--json` line names it, and nothing more. */
function runJson(run: RunView, trustMark: string | null) {
  return {
    id: run.id,
    passed: run.passed,
    modules: run.modules.map((m) => ({
      id: m.id,
      title: m.title,
      status: m.status,
      steps: m.steps.map((s) => ({ id: s.id, title: s.title, status: s.status, detail: s.detail })),
    })),
    reportJson: run.reportJson,
    reportHtml: run.reportHtml,
    trustMark,
  };
}

function runText(run: RunView): string {
  const lines = [`run ${run.id} ${run.passed ? "PASSED" : "FAILED"} (${run.supplier}, ${run.baseUrl}, kit ${run.kitVersion}, contract ${run.contractVersion})`];
  for (const m of run.modules) {
    lines.push(`${STATUS_MARK[m.status] ?? m.status} ${m.title} [${m.status}]`);
    for (const s of m.steps) if (s.status !== "passed") lines.push(`    ${STATUS_MARK[s.status] ?? s.status} ${s.id} ${s.title}: ${s.detail}`);
  }
  lines.push(`report: ${run.reportJson}`, `        ${run.reportHtml}`);
  return lines.join("\n");
}

function readJwks(path: string | undefined): JSONWebKeySet | undefined {
  if (path === undefined) return undefined;
  try {
    const parsed = JSON.parse(readFileSync(path, "utf8")) as JSONWebKeySet;
    if (!Array.isArray(parsed.keys)) throw new Error("no keys array");
    return parsed;
  } catch (e) {
    throw new UsageError(`--jwks ${path}: not a JWK set (${e instanceof Error ? e.message : String(e)})`);
  }
}

/** What suspend and revoke print and audit: the current mark, every mark the change reached, and the gate waiver it ended. */
function markStateResult(
  verb: string,
  { before, after, changed, waiverEnded }: { before: MarkView; after: MarkView; changed: string[]; waiverEnded: GateWaiverRow | null },
): CommandResult {
  const ended = waiverEnded ? `\nthe production gate waiver (${waiverEnded.reason}) ends with it` : "";
  const waived = (value: boolean) => (waiverEnded ? { waived: value } : {});
  return {
    human: `trust mark${changed.length > 1 ? "s" : ""} ${changed.join(", ")} of ${after.supplier} ${verb}: ${after.reason ?? ""}${ended}`,
    json: { mark: after, changed, waiverEnded: waiverEnded ? waiverJson(after.supplier, waiverEnded) : null },
    audit: {
      target: after.supplier,
      summary: {
        before: { mark: before.id, state: before.state, ...waived(true) },
        after: { state: after.state, reason: after.reason, marks: changed, ...waived(false) },
      },
    },
  };
}

/**
 * The sandbox's password and appSecret: from a file or stdin, or (kept for scripts written before)
 * from flags, which `ps` and the shell history show, with a warning saying so. One source only.
 */
async function sandboxSecrets(v: { password?: string; "app-secret"?: string; "secrets-file"?: string; "secrets-stdin"?: boolean }): Promise<SandboxSecrets> {
  const sources = [v["secrets-file"] !== undefined, v["secrets-stdin"] === true, v.password !== undefined || v["app-secret"] !== undefined].filter(
    Boolean,
  ).length;
  if (sources > 1) throw new UsageError("give the secrets one way: --secrets-file, --secrets-stdin, or --password with --app-secret");
  if (v["secrets-file"] !== undefined) {
    const { secrets, warning } = readSecretsFile(v["secrets-file"]);
    if (warning) process.stderr.write(`warning: ${warning}\n`);
    return secrets;
  }
  if (v["secrets-stdin"]) return readSecretsFromStdin();
  if (v.password === undefined || v["app-secret"] === undefined)
    throw new UsageError("the sandbox secrets are required: --secrets-file PATH or --secrets-stdin (password=… and app_secret=… lines)");
  process.stderr.write("warning: --password and --app-secret show in ps and the shell history; use --secrets-file PATH or --secrets-stdin\n");
  return { password: v.password, appSecret: v["app-secret"] };
}

/** A scored day in a terminal: score, what the policy did, and each failing check. */
const dayLine = (d: DayScore): string =>
  [
    `${d.day}  ${String(d.score).padStart(3)}  ${d.action}${d.proposal ? ` (proposal ${d.proposal})` : ""}`,
    ...d.checks.filter((c) => !c.passed).map((c) => `    ✘ ${c.check}: ${c.failed}/${c.total} failed`),
  ].join("\n");

export const conformanceCommands: Record<string, Command> = {
  plan: {
    usage: "conformance plan [--sign-mode hmac-sha256|yggc-md5]",
    summary: "the certification plan: modules and steps, which are required and which change the test environment, with the kit and contract versions",
    run({ argv }) {
      const v = flags(argv, { "sign-mode": { type: "string" } });
      const signMode = v["sign-mode"] ?? SignMode.HmacSha256;
      if (!(signModes as readonly string[]).includes(signMode)) throw new UsageError(`--sign-mode must be one of ${signModes.join(", ")}`);
      const modules = certificationPlan(signMode as SignMode);
      const lines = [`kit ${KIT_VERSION}, contract ${CONTRACT_VERSION}, ${signMode}`];
      for (const m of modules) {
        lines.push(`${m.id}  ${m.title}  (${m.section})`);
        for (const s of m.steps)
          lines.push(`    ${s.id.padEnd(24)} ${s.required ? "required" : "advisory"}${s.changesState ? ", changes state" : ""}  ${s.title}`);
      }
      return { human: lines.join("\n"), json: { kitVersion: KIT_VERSION, contractVersion: CONTRACT_VERSION, modules } };
    },
  },
  run: {
    usage:
      "conformance run --supplier CODE --base-url URL --username U (--secrets-file PATH | --secrets-stdin) [--sign-mode hmac-sha256|yggc-md5] [--encoding form|json] [--advisory [--seed N]]",
    summary:
      "certify a supplier's test environment (sandbox): every module of the plan, a signed report, and a trust mark when it passes; the sandbox password and appSecret come as password=… and app_secret=… lines from a file or stdin (--password/--app-secret still work, with a warning: flags show in ps and shell history); --advisory adds seeded random and malformed inputs and never issues a mark",
    audit: "conformance.run",
    async run({ argv, container, actor }) {
      const v = flags(argv, {
        supplier: { type: "string" },
        "base-url": { type: "string" },
        username: { type: "string" },
        password: { type: "string" },
        "app-secret": { type: "string" },
        "secrets-file": { type: "string" },
        "secrets-stdin": { type: "boolean" },
        "sign-mode": { type: "string" },
        encoding: { type: "string" },
        advisory: { type: "boolean" },
        seed: { type: "string" },
      });
      const secrets = await sandboxSecrets(v);
      const signMode = v["sign-mode"] ?? SignMode.HmacSha256;
      if (!(signModes as readonly string[]).includes(signMode)) throw new UsageError(`--sign-mode must be one of ${signModes.join(", ")}`);
      if (v.seed !== undefined && !v.advisory) throw new UsageError("--seed goes with --advisory");
      const seed = v.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(v.seed);
      if (!Number.isInteger(seed) || seed < 0 || seed >= 2 ** 32) throw new UsageError("--seed must be a whole number below 2^32");
      const encoding = v.encoding ?? "form";
      if (encoding !== "form" && encoding !== "json") throw new UsageError("--encoding must be form or json");
      const baseUrl = requireFlag(v, "base-url");
      if (!/^https?:\/\/[^\s]+$/i.test(baseUrl)) throw new UsageError("--base-url must be an http(s) URL");
      const tty = process.stderr.isTTY && !argv.includes("--json");
      const { run, trustMark } = await container.conformance.run({
        supplier: requireFlag(v, "supplier"),
        target: {
          baseUrl,
          username: requireFlag(v, "username"),
          ...secrets,
          signMode: signMode as SignMode,
          bodyFormat: encoding,
        },
        actor,
        ...(v.advisory ? { advisory: { seed } } : {}),
        onModule: (e) => {
          if (!tty) return;
          if (e.phase === "start") process.stderr.write(`… ${e.module.title}`);
          else process.stderr.write(`\r${STATUS_MARK[e.result?.status ?? ""] ?? ""} ${e.module.title} [${e.result?.status ?? ""}]\n`);
        },
      });
      return {
        human: `${runText(run)}\ntrust mark: ${trustMark ?? "none (the run did not pass)"}`,
        json: { run: runJson(run, trustMark) },
        audit: {
          target: run.supplier,
          summary: { after: { runId: run.id, passed: run.passed, markId: run.markId, baseUrl: run.baseUrl, ...(v.advisory ? { advisory: true, seed } : {}) } },
        },
      };
    },
  },
  list: {
    usage: "conformance list --supplier CODE [--limit N]",
    summary: "a supplier's certification runs, newest first, with its current trust mark and gate",
    async run({ argv, container }) {
      const v = flags(argv, { supplier: { type: "string" }, limit: { type: "string" } });
      const code = requireFlag(v, "supplier");
      const limit = Number(v.limit ?? 50);
      if (!Number.isInteger(limit) || limit < 1) throw new UsageError("--limit must be a positive whole number");
      const runs = await container.conformance.runs({ supplier: code, limit });
      const standing = await container.conformance.standing(code);
      const mark = standing.mark
        ? `${standing.mark.id} ${standing.mark.state} until ${standing.mark.expiresAt}${standing.mark.reason ? ` (${standing.mark.reason})` : ""}`
        : "none";
      const gate = standing.gate.open ? `open (${standing.gate.via})` : `closed (${standing.gate.reason})`;
      return {
        human: [
          table(
            runs.map((r) => ({ id: r.id, passed: r.passed, startedAt: r.startedAt, baseUrl: r.baseUrl, mark: r.markId ?? "" })),
            ["id", "passed", "startedAt", "baseUrl", "mark"],
          ),
          `trust mark: ${mark}`,
          `production gate: ${gate}`,
        ].join("\n"),
        json: {
          runs: runs.map((r) => ({
            id: r.id,
            passed: r.passed,
            startedAt: r.startedAt,
            endedAt: r.endedAt,
            baseUrl: r.baseUrl,
            kitVersion: r.kitVersion,
            contractVersion: r.contractVersion,
            markId: r.markId,
            reportJson: r.reportJson,
            reportHtml: r.reportHtml,
          })),
          mark: standing.mark,
          gate: standing.gate,
          waiver: standing.waiver,
        },
      };
    },
  },
  show: {
    usage: "conformance show --run ID",
    summary: "one run: modules, steps, evidence, the report files and its trust mark",
    async run({ argv, container }) {
      const v = flags(argv, { run: { type: "string" } });
      const shown = await container.conformance.show(requireFlag(v, "run"));
      return {
        human: `${runText(shown.run)}\nreport sha-256: ${shown.digest}\ntrust mark: ${shown.mark ? `${shown.mark.id} ${shown.mark.state}\n${shown.mark.jws}` : "none"}`,
        json: {
          run: {
            ...runJson(shown.run, shown.mark?.jws ?? null),
            supplier: shown.run.supplier,
            baseUrl: shown.run.baseUrl,
            startedAt: shown.run.startedAt,
            endedAt: shown.run.endedAt,
          },
          report: shown.report,
          reportSha256: shown.digest,
          reportSignature: shown.signature,
          mark: shown.mark,
        },
      };
    },
  },
  verify: {
    usage: "conformance verify (--mark JWS | --report FILE [--signature FILE]) [--jwks FILE]",
    summary: "check a trust mark or a signed report offline against the gateway's published keys (or a saved jwks.json)",
    async run({ argv, container }) {
      const v = flags(argv, { mark: { type: "string" }, report: { type: "string" }, signature: { type: "string" }, jwks: { type: "string" } });
      if ((v.mark === undefined) === (v.report === undefined)) throw new UsageError("give exactly one of --mark JWS or --report FILE");
      const jwks = readJwks(v.jwks);
      if (v.mark !== undefined) {
        const checked = await container.conformance.verifyMark(v.mark, jwks);
        if (!checked.ok)
          throw new CommandFailed("invalid_mark", `the trust mark does not verify against the published keys: ${checked.reason}`, { valid: false });
        const valid = checked.state === "valid";
        const result = { valid, state: checked.state, kid: checked.kid, claims: checked.claims };
        const text = [
          `signature: ok (key ${checked.kid})`,
          `state: ${checked.state}`,
          ...Object.entries(checked.claims).map(([k, val]) => `${k}: ${k === "iat" || k === "exp" ? new Date(Number(val) * 1000).toISOString() : String(val)}`),
        ].join("\n");
        if (!valid) throw new CommandFailed("mark_not_valid", `the trust mark is genuine but ${checked.state}`, result);
        return { human: text, json: result };
      }
      const path = v.report ?? "";
      const sigPath = v.signature ?? `${path}.jws`;
      if (!existsSync(path)) throw new UsageError(`--report ${path}: no such file`);
      if (!existsSync(sigPath)) throw new UsageError(`no detached signature at ${sigPath} (--signature FILE)`);
      const checked = await container.conformance.verifyReport(readFileSync(path), readFileSync(sigPath, "utf8"), jwks);
      const result = { valid: checked.ok, kid: checked.kid, sha256: checked.digest, runId: checked.runId, passed: checked.passed };
      if (!checked.ok)
        throw new CommandFailed("invalid_report", `the report's signature does not verify (changed, or not issued by this mall): ${checked.reason}`, result);
      return {
        human: `signature: ok (key ${checked.kid})\nsha-256: ${checked.digest}\nrun: ${checked.runId ?? "?"} ${checked.passed ? "passed" : "failed"}`,
        json: result,
      };
    },
  },
  suspend: {
    usage: "conformance suspend --supplier CODE --reason R",
    summary: "suspend a supplier's trust marks (every one still in its lifetime): it is no longer pulled and receives no orders",
    audit: "conformance.suspend",
    run({ argv, container }) {
      const v = flags(argv, { supplier: { type: "string" }, reason: { type: "string" } });
      const supplier = requireFlag(v, "supplier");
      const reason = requireFlag(v, "reason");
      // The marks' change, what decided it and the audit row in one transaction.
      return { commitIn: async (tx) => markStateResult("suspended", await container.conformance.suspend(supplier, reason, tx)) };
    },
  },
  revoke: {
    usage: "conformance revoke --supplier CODE --reason R",
    summary: "revoke a supplier's trust marks (every one still in its lifetime) for good: it must certify again",
    audit: "conformance.revoke",
    run({ argv, container }) {
      const v = flags(argv, { supplier: { type: "string" }, reason: { type: "string" } });
      const supplier = requireFlag(v, "supplier");
      const reason = requireFlag(v, "reason");
      // The marks' change, what decided it and the audit row in one transaction.
      return { commitIn: async (tx) => markStateResult("revoked", await container.conformance.revoke(supplier, reason, tx)) };
    },
  },
  production: {
    usage: "conformance production --supplier CODE [--days N]",
    summary:
      "the supplier's production conformance: each scored day (newest first) with the kit's checks, the failing ones with their first calls, what the policy did, and today so far",
    async run({ argv, container }) {
      const v = flags(argv, { supplier: { type: "string" }, days: { type: "string" } });
      const code = requireFlag(v, "supplier");
      const days = v.days === undefined ? 30 : Number(v.days);
      if (!Number.isInteger(days) || days < 1 || days > 366) throw new UsageError("--days must be a whole number from 1 to 366");
      const history = await container.production.history(code, days);
      if (!history) throw new CommandFailed("not_found", `no supplier with code ${code}`);
      const { policy } = history;
      const human = [
        `policy ${policy.policy}: a day below ${policy.minScore} is a bad day; ${policy.badDays} in a row bring its next step`,
        ...(history.today ? [`today so far: ${history.today.score}`] : []),
        ...history.days.map(dayLine),
      ].join("\n");
      return { human, json: { supplier: code, ...history } };
    },
  },
  evaluate: {
    usage: "conformance evaluate --supplier CODE [--day yyyy-MM-dd]",
    summary:
      "score one day of the supplier's production calls now (default yesterday, Beijing time) and apply the policy to it, as the daily job does; a day already acted on is not acted on again",
    audit: "conformance.production_evaluate",
    async run({ argv, container }) {
      const v = flags(argv, { supplier: { type: "string" }, day: { type: "string" } });
      const code = requireFlag(v, "supplier");
      if (v.day !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(v.day)) throw new UsageError("--day must be yyyy-MM-dd (Beijing time)");
      if (!(await container.repos.accounts.supplierByCode(code))) throw new CommandFailed("not_found", `no supplier with code ${code}`);
      const day = v.day ?? beijingDay(container.clock() - 86_400_000);
      const unscorable = unscorableDay(day, container.clock());
      if (unscorable) throw new UsageError(`--day: ${unscorable}`);
      const scored = await container.production.evaluate(code, day);
      return {
        human: scored ? dayLine(scored) : `${day}: no production calls`,
        json: { supplier: code, day: scored },
        audit: { target: code, summary: { after: { day, score: scored?.score ?? null, action: scored?.action ?? null } } },
      };
    },
  },
  "rotate-key": {
    usage: "conformance rotate-key",
    summary: "a new signing key for reports and marks; the old public key stays published if it signed any report or mark (they are kept for good)",
    audit: "conformance.rotate_key",
    async run({ container }) {
      const rotated = await container.conformance.signing.rotate();
      return {
        human: `signing key ${rotated.kid} active${rotated.retired ? `; ${rotated.retired} retired` : ""}`,
        json: rotated,
        audit: { target: rotated.kid, summary: { before: { kid: rotated.retired }, after: { kid: rotated.kid } } },
      };
    },
  },
  jwks: {
    usage: "conformance jwks",
    summary: "the published public keys (as GET /.well-known/jwks.json serves them), to save for offline checks",
    async run({ container }) {
      const jwks = await container.conformance.jwks();
      return { human: JSON.stringify(jwks, null, 2), json: { jwks } };
    },
  },
};
