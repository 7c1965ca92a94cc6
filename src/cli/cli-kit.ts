import { parseArgs, type ParseArgsConfig } from "node:util";
import type { Container } from "../container.js";
import type { Transaction } from "../store/sql/sql-store.js";

/** What every CLI command gets: parsed flags, the container, and one way to report. */
export type CommandContext = {
  readonly argv: string[];
  readonly container: Container;
  /** Who acts, as the audit log names them (cli:USER). */
  readonly actor: string;
};

export type CommandResult = {
  readonly human: string;
  readonly json: Record<string, unknown>;
  /**
   * A list too long to hold: with --json its items are written as `field` of the same one-line
   * object, page by page as they are read, after the fields of `json`.
   */
  readonly stream?: { readonly field: string; readonly pages: Iterable<readonly unknown[]> | AsyncIterable<readonly unknown[]> };
  /** What the audit row says of a state-changing command: its target and a summary (never a secret). */
  readonly audit?: { target?: string | null; summary?: Record<string, unknown> };
};

/**
 * A command whose store writes are left to the CLI, to commit with its audit row in one transaction
 * (`commitIn`: database work only, through `tx`; it may run more than once on PostgreSQL).
 */
export type DeferredCommandResult = { readonly commitIn: (tx: Transaction) => Promise<CommandResult> };

export type Command = {
  readonly usage: string;
  readonly summary: string;
  /** The audit action of a command that changes state; the CLI records it, refused or done. */
  readonly audit?: string;
  /**
   * Works on a database that must already be there: a SQLite DATABASE_URL naming no file is refused
   * before the container opens it, which would create and migrate an empty one (a mistyped path
   * would then be "backed up" or "restored" without a word).
   */
  readonly needsExistingDatabase?: true;
  /** May leave its store writes to `commitIn` (after slow work such as hashing): they and the audit row commit together. */
  run(ctx: CommandContext): Promise<CommandResult | DeferredCommandResult> | CommandResult | DeferredCommandResult;
};

/** A command that ran and found something wrong (a broken audit chain): reported, exit 1. */
export class CommandFailed extends Error {
  override readonly name = "CommandFailed";
  constructor(
    readonly kind: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

/** A mistake in how the command was called; printed with the command's usage. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

export function flags<const T extends NonNullable<ParseArgsConfig["options"]>>(argv: string[], options: T) {
  try {
    return parseArgs({ args: argv, options: { ...options, json: { type: "boolean" } }, allowPositionals: false, strict: true }).values;
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

export function requireFlag(values: Record<string, unknown>, name: string): string {
  const v = values[name];
  if (typeof v !== "string" || v.trim() === "") throw new UsageError(`--${name} is required`);
  return v;
}

export function table(rows: ReadonlyArray<Record<string, unknown>>, columns: readonly string[]): string {
  if (rows.length === 0) return "(none)";
  const cells = rows.map((r) => columns.map((c) => (r[c] === null || r[c] === undefined ? "" : String(r[c]))));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => (row[i] ?? "").length)));
  const line = (values: readonly string[]) =>
    values
      .map((v, i) => v.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd();
  return [line(columns), ...cells.map(line)].join("\n");
}

/** Writes `{"ok":true,…json,"field":[…items]}` and a newline, waiting whenever stdout is full. */
export async function writeJsonStream(out: NodeJS.WritableStream, head: Record<string, unknown>, stream: NonNullable<CommandResult["stream"]>): Promise<void> {
  const write = (text: string) =>
    new Promise<void>((resolve, reject) => {
      if (out.write(text)) return resolve();
      const onDrain = () => {
        out.off("error", onError);
        resolve();
      };
      const onError = (e: Error) => {
        out.off("drain", onDrain);
        reject(e);
      };
      out.once("drain", onDrain);
      out.once("error", onError);
    });
  const opening = JSON.stringify({ ok: true, ...head, [stream.field]: [] });
  await write(opening.slice(0, -2));
  let first = true;
  for await (const page of stream.pages) {
    if (page.length === 0) continue;
    await write((first ? "" : ",") + page.map((item) => JSON.stringify(item)).join(","));
    first = false;
  }
  await write("]}\n");
}
