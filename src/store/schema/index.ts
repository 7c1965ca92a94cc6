export * from "./suppliers.js";
export * from "./reference.js";
export * from "./products.js";
export * from "./sync.js";
export * from "./orders.js";
export * from "./admin.js";
export * from "./conformance.js";
export * from "./coordination.js";
