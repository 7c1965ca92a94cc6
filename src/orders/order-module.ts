import type { Logger } from "../lib/logger.js";
import type { KeyRing } from "../security/key-ring.js";
import type { AccountRepo } from "../store/repos/account-repo.js";
import type { OrderRepo } from "../store/repos/order-repo.js";
import type { ProductRepo } from "../store/repos/product-repo.js";
import type { ReferenceRepo } from "../store/repos/reference-repo.js";
import type { SupplierClient } from "../supplier/supplier-client.js";
import { type FreightRule, createOrderIntake } from "./order-intake.js";
import { type PushPolicy, createOrderPush } from "./order-push.js";
import { type SchedulerOptions, createOrderScheduler } from "./order-scheduler.js";
import { type OrderGate, createOrderService } from "./order-service.js";

export type OrderModuleDeps = {
  repo: OrderRepo;
  accounts: AccountRepo;
  products: ProductRepo;
  reference: ReferenceRepo;
  keys: KeyRing;
  /** The connected supplier's client (src/connections): S-8 at intake, S-10/S-11/S-12 in the push. */
  connections: {
    clientFor(
      supplierId: number,
    ):
      | Pick<SupplierClient, "stocks" | "prices" | "submitOrder" | "confirmOrder">
      | Promise<Pick<SupplierClient, "stocks" | "prices" | "submitOrder" | "confirmOrder">>;
  };
  clock: () => number;
  logger: Logger;
  /** The production gate (src/conformance): orders go only to a supplier with a valid trust mark or a waiver. */
  gate: OrderGate;
  freight?: FreightRule;
  policy?: Partial<PushPolicy>;
};

export type OrderModule = ReturnType<typeof createOrderModule>;

/** Orders wired once: intake and push share the supplier clients of the connections (one token, one limiter). */
export function createOrderModule(deps: OrderModuleDeps) {
  const clientFor = (supplierId: number) => deps.connections.clientFor(supplierId);
  const intake = createOrderIntake({
    accounts: deps.accounts,
    products: deps.products,
    reference: deps.reference,
    orders: deps.repo,
    keys: deps.keys,
    stock: async (supplierId, skus, area) => (await clientFor(supplierId)).stocks(skus, area),
    gate: deps.gate,
    clock: deps.clock,
    freight: deps.freight,
  });
  const push = createOrderPush({ repo: deps.repo, keys: deps.keys, clientFor, clock: deps.clock, logger: deps.logger, policy: deps.policy });
  return {
    intake,
    push,
    service: createOrderService({
      intake,
      push,
      repo: deps.repo,
      accounts: deps.accounts,
      keys: deps.keys,
      clock: deps.clock,
      gate: deps.gate,
      areaName: deps.reference.areaName,
    }),
    /** The background pusher; the process entry starts it and stops it on shutdown. */
    scheduler: (options: Partial<SchedulerOptions> = {}) =>
      createOrderScheduler({ repo: deps.repo, push, clock: deps.clock, logger: deps.logger, gate: deps.gate }, options),
  };
}
