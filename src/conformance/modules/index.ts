import type { KitModule } from "../kit-context.js";
import { answersModule } from "./answers-module.js";
import { catalogProductsModule } from "./catalog-products-module.js";
import { mallUsageModule } from "./mall-usage-module.js";
import { messagePoolModule } from "./message-pool-module.js";
import { ordersModule } from "./orders-module.js";
import { productReadsModule } from "./product-reads-module.js";
import { qpsModule } from "./qps-module.js";
import { tokenModule } from "./token-module.js";

/**
 * The modules in run order: the pool is read before anything deletes from it; products are
 * sampled and test orders placed (from the skus the pool module saw) before the catalog module
 * empties the type-6 pool; the every-answer module judges all the exchanges before it, so it runs
 * last but one.
 */
export const kitModules: readonly KitModule[] = [
  tokenModule,
  messagePoolModule,
  productReadsModule,
  ordersModule,
  catalogProductsModule,
  qpsModule,
  answersModule,
  mallUsageModule,
];
