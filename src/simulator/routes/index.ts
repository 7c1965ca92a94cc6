import { delMessagePool } from "./message-delete-route.js";
import { getMessagePool } from "./message-pool-route.js";
import { detailStandard } from "./detail-route.js";
import { productAttributesStandard } from "./attributes-route.js";
import { productPromise } from "./promise-route.js";
import { shelfStates } from "./shelf-states-route.js";
import { stocks } from "./stocks-route.js";
import { images } from "./images-route.js";
import { prices } from "./prices-route.js";
import { submitOrder } from "./submit-order-route.js";
import { confirmOrder } from "./confirm-order-route.js";
import type { BusinessOperationName, RouteHandler } from "./route-types.js";

export type { BusinessOperationName, RouteHandler };

/** S-2…S-12 by operation name; paths and schemas come from `supplierOperations`. */
export const businessRoutes: { readonly [K in BusinessOperationName]: RouteHandler<K> } = {
  messagePool: getMessagePool,
  messageDelete: delMessagePool,
  detail: detailStandard,
  attributes: productAttributesStandard,
  promise: productPromise,
  shelfStates,
  stocks,
  images,
  prices,
  submitOrder,
  confirmOrder,
};
