export * from "./suppliers.js";
export * from "./reference.js";
