import { z } from "zod";
import type { Logger } from "../../lib/logger.js";
import type { AdminRole, AdminSessionRow, AdminUserRow } from "../../store/repos/admin-repo.js";
import type { AdminErrorCode } from "../admin-errors.js";
import type { AuditEntry } from "../audit-trail.js";
import type { Transaction } from "../../store/sql/sql-store.js";
import type { SupplierScope } from "./supplier-scope.js";

export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH";

export type RouteContext<P, Q, B, S> = {
  params: P;
  query: Q;
  body: B;
  /** Undefined only on public routes (login). */
  user: AdminUserRow | undefined;
  session: AdminSessionRow | undefined;
  /** Set for a supplier user: the handler reads only this supplier's data (supplier-scope.ts). */
  scope: SupplierScope | undefined;
  /** What the route's module declared it reaches (its `defineRouteWith<S>()`), wired in route-services.ts. */
  services: S;
  requestId: string;
  log: Logger;
};

/** What a handler hands back: the body, and what the audit row and the session cookie should say. */
export type RouteResult = {
  status?: number;
  body: unknown;
  audit?: Pick<AuditEntry, "target" | "summary"> & { actor?: string; action?: string };
  /** A file to download instead of a JSON body (a signed report must reach the caller byte for byte). */
  download?: { contentType: string; filename: string; body: string };
  /** A new session cookie (login) or its removal (logout). */
  session?: { id: string; expiresAt: number } | null;
  /** A download: rows streamed as CSV (UTF-8 with BOM, for Excel) instead of the JSON body. */
  csv?: CsvDownload;
  /** Runs once the handler's writes have committed (work they start, such as a queued run). */
  afterCommit?: () => void;
};

/**
 * What a handler hands back when its slow work (hashing, checks, supplier calls) is done but its
 * store writes are not: the runner runs `commitIn` in one transaction and appends the audit row in
 * it, so neither lands without the other. `commitIn` does only database work through `tx` (it may
 * run more than once on PostgreSQL), and reads what its writes decide on through `tx`.
 */
export type DeferredResult = { commitIn: (tx: Transaction) => Promise<RouteResult> };

type CsvRow = ReadonlyArray<string | number | null | undefined>;
/** Rows read as they are sent: a list, or pages read from the store one after the other. */
export type CsvDownload = { filename: string; header: readonly string[]; rows: Iterable<CsvRow> | AsyncIterable<CsvRow> };

export type RouteSpec<P extends z.ZodType, Q extends z.ZodType, B extends z.ZodType, S> = {
  method: HttpMethod;
  /** express syntax, relative to /admin/api. */
  path: string;
  /** Who may call it; "public" only for login. Checked server-side before input is read. */
  roles: readonly AdminRole[] | "public";
  summary: string;
  tag: string;
  params?: P;
  query?: Q;
  body?: B;
  /**
   * The JSON answer's shape: the generated OpenAPI document publishes it and the integration tests
   * parse real answers through it. A download route names its `file` instead.
   */
  response?: z.ZodType;
  /** A download (CSV, a signed report) instead of a JSON answer: its media type and what it holds. */
  file?: { mediaType: string; description: string };
  /** The success status when it is not 200, as the handler sets it (a create answers 201). */
  status?: 201 | 202 | 204;
  /** The domain failures the handler can answer besides invalid input and the session checks. */
  errors?: ReadonlyArray<Extract<AdminErrorCode, "not_found" | "conflict" | "rate_limited" | "supplier_unavailable">>;
  /** The audit action of a state-changing route: written on success and on failure. */
  audit?: string;
  handler(ctx: RouteContext<z.output<P>, z.output<Q>, z.output<B>, S>): Promise<RouteResult | DeferredResult> | RouteResult | DeferredResult;
};

/**
 * A route with its input types erased, as the table and the router hold it. The handler is a
 * property, not a method, so the compiler checks it contravariantly: a route needing services S
 * fits a table typed with services that provide at least S, and no other. Without S, a route as
 * read for what it declares (OpenAPI, the tests), not to be run.
 */
export type AdminRoute<S = never> = Omit<RouteSpec<z.ZodType, z.ZodType, z.ZodType, S>, "handler"> & {
  readonly handler: (ctx: RouteContext<unknown, unknown, unknown, S>) => Promise<RouteResult | DeferredResult> | RouteResult | DeferredResult;
};

type NoInput = z.ZodObject<Record<string, never>>;

/**
 * A route module's `defineRoute`, bound to the services its handlers may reach: the module names
 * what it needs, route-table.ts checks that the wiring provides it.
 */
export function defineRouteWith<S>() {
  return function defineRoute<P extends z.ZodType = NoInput, Q extends z.ZodType = NoInput, B extends z.ZodType = NoInput>(
    spec: RouteSpec<P, Q, B, S>,
  ): AdminRoute<S> {
    return spec as unknown as AdminRoute<S>;
  };
}

export const ALL_ROLES = ["admin", "procurement", "auditor", "supplier"] as const satisfies readonly AdminRole[];
export const STAFF_ROLES = ["admin", "procurement", "auditor"] as const satisfies readonly AdminRole[];

/** Query-string helpers: strict, bounded, no z.coerce surprises. */
export const q = {
  int: (min: number, max: number) =>
    z
      .string()
      .regex(/^\d{1,15}$/, "a whole number")
      .transform(Number)
      .pipe(z.number().int().min(min).max(max)),
  text: (max: number) => z.string().trim().min(1).max(max),
  bool: z.enum(["true", "false"]).transform((v) => v === "true"),
  /** Epoch ms, or an ISO date-time; without an offset it is Beijing time (UTC+8), as staff read clocks. */
  time: z
    .string()
    .trim()
    .regex(/^(\d{1,15}|\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?)?(Z|[+-]\d{2}:\d{2})?)$/, "epoch ms or yyyy-MM-ddTHH:mm[:ss][offset]")
    .transform((v, ctx) => {
      if (/^\d+$/.test(v)) return Number(v);
      const withTime = v.length === 10 ? `${v}T00:00` : v;
      const ms = Date.parse(/(Z|[+-]\d{2}:\d{2})$/.test(withTime) ? withTime : `${withTime}+08:00`);
      if (Number.isNaN(ms)) {
        ctx.addIssue({ code: "custom", message: `${v} is not a date-time` });
        return z.NEVER;
      }
      return ms;
    }),
};

/** Lists: at most this many rows per page unless the caller asks for fewer. */
export const DEFAULT_PAGE = 50;
export const MAX_PAGE = 200;
