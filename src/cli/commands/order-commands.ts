import { readFileSync } from "node:fs";
import { userInfo } from "node:os";
import { fenToYuan } from "../../contract/index.js";
import type { OrderOutcome } from "../../orders/order-errors.js";
import type { OrderDetail, OrderView, PushPauseView } from "../../orders/order-service.js";
import { orderStates } from "../../store/schema/index.js";
import { type Command, UsageError, flags, requireFlag, table } from "../cli-kit.js";

/** Who acts, on the timeline: the person at the terminal. */
const cliActor = () => `cli:${userInfo().username}`;

const yuan = (fen: number) => fenToYuan(fen).toFixed(2);

/** An order that cannot be taken is thrown as its OrderError, which the CLI reports with every field. */
function unwrap<T>(outcome: OrderOutcome<T>): T {
  if (outcome.ok) return outcome.value;
  throw outcome.error;
}

function summary(o: OrderView): string {
  const lines = [
    `order ${o.yggc_order} (${o.id}) to ${o.supplier}: ${o.state}${o.mall_order_id ? `, supplier order ${o.mall_order_id}` : ""}`,
    ...o.lines.map((l) => `  ${l.sku} × ${l.num} @ ${yuan(l.priceFen)}${l.name ? `  ${l.name}` : ""}`),
    `  goods ${yuan(o.goodsFen)} + freight ${yuan(o.freightFen)} = ${yuan(o.orderPriceFen)} 元`,
  ];
  if (o.failure) lines.push(`  failed (${o.failure.kind ?? "?"}${o.failure.code ? ` ${o.failure.code}` : ""}): ${o.failure.reason ?? ""}`);
  if (o.answerCheck) {
    const fig = (f: NonNullable<OrderView["answerCheck"]>["ours"]) =>
      `${f.lines.map((l) => `${l.sku} × ${l.num} @ ${l.priceFen === null ? "?" : yuan(l.priceFen)}`).join(", ")}; goods ${f.goodsFen === null ? "?" : yuan(f.goodsFen)}, freight ${f.freightFen === null ? "?" : yuan(f.freightFen)}`;
    lines.push(`  S-11 answer check — ours:     ${fig(o.answerCheck.ours)}`, `  S-11 answer check — supplier: ${fig(o.answerCheck.theirs)}`);
  }
  if (o.pushPause) lines.push(`  ${pauseLine(o.pushPause)}`);
  if (o.priceCheck)
    lines.push(
      ...o.priceCheck.map(
        (c) => `  price check ${c.sku}: store ${yuan(c.storedPriceFen)}, supplier ${c.supplierPriceFen === null ? "—" : yuan(c.supplierPriceFen)}`,
      ),
    );
  if (o.state !== "confirmed" && o.state !== "failed" && o.pushAttempts > 0)
    lines.push(`  next attempt ${new Date(o.nextAttemptAt).toISOString()} (attempt ${o.pushAttempts})`);
  return lines.join("\n");
}

function pauseLine(p: PushPauseView): string {
  return `order pushes to ${p.supplier} PAUSED since ${new Date(p.since).toISOString()}: ${p.reason} — after fixing the configuration: npm run cli -- orders resume --supplier ${p.supplier}`;
}

function timeline(o: OrderDetail): string {
  return table(
    o.timeline.map((e) => ({
      at: new Date(e.at).toISOString(),
      actor: e.actor,
      step: e.step,
      transition: `${e.fromState ?? "—"} → ${e.toState}`,
      answer: [e.errorKind, e.supplierCode, e.supplierDesc, e.mallOrderId].filter((v) => v !== null && v !== undefined).join(" "),
      ms: e.durationMs,
    })),
    ["at", "actor", "step", "transition", "answer", "ms"],
  );
}

function readOrderFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new UsageError(`cannot read ${path}: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new UsageError(`${path} is not JSON: ${(e as Error).message}`);
  }
}

const stateOf = (value: unknown) => {
  if (value === undefined) return undefined;
  const state = orderStates.find((s) => s === value);
  if (!state) throw new UsageError(`--state must be one of ${orderStates.join(", ")}`);
  return state;
};

export const orderCommands: Record<string, Command> = {
  create: {
    usage: "orders create --file ORDER.json",
    summary: "take an order (supplier, items [{sku,num}], consignee/invoice/payment under S-11 names); prices come from the store",
    audit: "order.create",
    async run({ argv, container }) {
      const v = flags(argv, { file: { type: "string" } });
      const order = unwrap(await container.orders.service.create(readOrderFile(requireFlag(v, "file")), cliActor()));
      return {
        human: `${summary(order)}\npush it: npm run cli -- orders push --order ${order.yggc_order} (or let the scheduler)`,
        json: { order },
        audit: { target: order.yggc_order, summary: { after: { state: order.state, supplier: order.supplier, orderPriceFen: order.orderPriceFen } } },
      };
    },
  },
  push: {
    usage: "orders push --order YGGC_ORDER",
    summary: "push one order now (submit → confirm); a confirmed or failed order is left as it is",
    audit: "order.push",
    async run({ argv, container }) {
      const order = unwrap(await container.orders.service.push(requireFlag(flags(argv, { order: { type: "string" } }), "order"), cliActor()));
      return { human: summary(order), json: { order }, audit: { target: order.yggc_order, summary: { after: { state: order.state } } } };
    },
  },
  retry: {
    usage: "orders retry --order YGGC_ORDER",
    summary: "push again, with the same yggc_order, an order that did not fail for a business reason (gave up, or the S-11 answer differed)",
    audit: "order.retry",
    async run({ argv, container }) {
      const order = unwrap(await container.orders.service.retry(requireFlag(flags(argv, { order: { type: "string" } }), "order"), cliActor()));
      return { human: summary(order), json: { order }, audit: { target: order.yggc_order, summary: { after: { state: order.state } } } };
    },
  },
  pauses: {
    usage: "orders pauses",
    summary: "suppliers whose order pushes are paused by a configuration failure (5004/5006/5013 …), and why",
    async run({ container }) {
      const pauses = await container.orders.service.pauses();
      return { human: pauses.length === 0 ? "no supplier's order pushes are paused" : pauses.map(pauseLine).join("\n"), json: { pauses } };
    },
  },
  resume: {
    usage: "orders resume --supplier CODE",
    summary: "resume a supplier's paused order pushes once its configuration is fixed; its waiting orders are pushed again",
    audit: "order.resume",
    run({ argv, container }) {
      const supplier = requireFlag(flags(argv, { supplier: { type: "string" } }), "supplier");
      // The pause removed and its audit row in one transaction.
      return {
        commitIn: async (tx) => {
          const resumed = unwrap(await container.orders.service.resume(supplier, tx));
          return {
            human: `order pushes to ${supplier} resumed (paused since ${new Date(resumed.since).toISOString()}: ${resumed.reason})`,
            json: { resumed },
            audit: { target: supplier, summary: { before: { paused: resumed.reason }, after: { paused: null } } },
          };
        },
      };
    },
  },
  list: {
    usage: "orders list [--state STATE] [--supplier CODE] [--limit N]",
    summary: "orders, newest first (no personal data)",
    async run({ argv, container }) {
      const v = flags(argv, { state: { type: "string" }, supplier: { type: "string" }, limit: { type: "string" } });
      const limit = v.limit === undefined ? undefined : Number(v.limit);
      if (limit !== undefined && (!Number.isInteger(limit) || limit < 1 || limit > 1000)) throw new UsageError("--limit must be an integer from 1 to 1000");
      const orders = unwrap(await container.orders.service.list({ state: stateOf(v.state), supplier: v.supplier, limit }));
      const rows = orders.map((o) => ({
        yggc_order: o.yggc_order,
        supplier: o.supplier,
        state: o.state,
        mall_order_id: o.mall_order_id,
        total: yuan(o.orderPriceFen),
        reason: o.failure?.reason ?? "",
      }));
      const pauses = await container.orders.service.pauses();
      const human = [table(rows, ["yggc_order", "supplier", "state", "mall_order_id", "total", "reason"]), ...pauses.map(pauseLine)].join("\n");
      return { human, json: { orders, counts: await container.orders.service.counts(), pauses } };
    },
  },
  show: {
    usage: "orders show --order YGGC_ORDER [--reveal]",
    summary: "one order with its timeline; --reveal decrypts consignee and invoice bank fields (audited)",
    async run({ argv, container }) {
      const v = flags(argv, { order: { type: "string" }, reveal: { type: "boolean" } });
      const order = unwrap(await container.orders.service.show(requireFlag(v, "order"), { reveal: v.reveal === true }));
      if (v.reveal) await container.admin.audit.record({ actor: cliActor(), action: "order.reveal_personal_data", target: order.yggc_order, summary: {} });
      const personal = order.consignee
        ? `\nconsignee: ${JSON.stringify(order.consignee)}${order.invoiceBank ? `\ninvoice bank: ${JSON.stringify(order.invoiceBank)}` : ""}`
        : "";
      return { human: `${summary(order)}${personal}\n${timeline(order)}`, json: { order } };
    },
  },
};
