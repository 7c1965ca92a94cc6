import { type ChildProcess, fork } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";

/**
 * The reference supplier in its own process (scripts/bench-puller-simulator.ts) for the puller
 * benchmarks, so the gateway's figures do not pay for the supplier's work, and what they need to
 * read a process's memory.
 */
export const BENCH_ACCOUNT = { username: "bench_mall", password: "bench-Pa55w0rd", appSecret: "bench-app-secret-0123456789abcdef0123456789" };
export const BENCH_DOMAIN = "item.sim-supplier.cn";

export type SimCommand =
  { op: "prices"; count: number } | { op: "details"; count: number } | { op: "truth" } | { op: "profile"; action: "start" | "stop"; name: string };
export type SimReply =
  | { op: "ready"; url: string; pending: number }
  | { op: "prices"; published: number; pending: number }
  | { op: "details"; published: number; pending: number }
  | { op: "truth"; products: Array<{ sku: string; inPool: boolean; priceFen: number; mallPriceFen: number }> }
  | { op: "profile"; file: string | null };
type ReplyTo<C extends { op: SimReply["op"] }> = Extract<SimReply, { op: C["op"] }>;

export type BenchSupplier = { child: ChildProcess; url: string; pending: number; ask: <C extends SimCommand>(command: C) => Promise<ReplyTo<C>> };

/** The supplier process with `products` seeded skus (each announced as type 6 state 1), and a request/answer over IPC. */
export async function startBenchSupplier(products: number, extraArgs: readonly string[] = []): Promise<BenchSupplier> {
  const child = fork(
    join(import.meta.dirname, "bench-puller-simulator.ts"),
    [
      "--products",
      String(products),
      "--username",
      BENCH_ACCOUNT.username,
      "--password",
      BENCH_ACCOUNT.password,
      "--app-secret",
      BENCH_ACCOUNT.appSecret,
      "--domain",
      BENCH_DOMAIN,
      ...extraArgs,
    ],
    { execArgv: ["--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"] },
  );
  const next = <T extends SimReply["op"]>(op: T) =>
    new Promise<Extract<SimReply, { op: T }>>((resolve, reject) => {
      const onMessage = (reply: SimReply) => {
        if (reply.op !== op) return;
        child.off("message", onMessage);
        child.off("exit", onExit);
        resolve(reply as Extract<SimReply, { op: T }>);
      };
      const onExit = (code: number | null) => reject(new Error(`supplier process exited ${code}`));
      child.on("message", onMessage);
      child.once("exit", onExit);
    });
  const ready = await next("ready");
  return {
    child,
    url: ready.url,
    pending: ready.pending,
    ask: <C extends SimCommand>(command: C) => {
      const answer = next(command.op) as Promise<ReplyTo<C>>;
      child.send(command);
      return answer;
    },
  };
}

/** VmRSS or VmHWM (peak) of a process, from /proc, in bytes; 0 when it cannot be read. */
export function procMemory(pid: number, field: "VmRSS" | "VmHWM"): number {
  try {
    const kb = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
    return kb === undefined ? 0 : Number(kb) * 1024;
  } catch {
    return 0;
  }
}

/**
 * CPU seconds (user + system) a process has used, from /proc/PID/stat (ticks of 1/100 s): what each
 * side costs whatever else the shared cores run.
 */
export function procCpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}
