import type { z } from "zod";
import type { SupplierOperationName, supplierOperations } from "../../contract/index.js";
import type { Outcome } from "../outcome.js";
import type { SupplierSimulator } from "../supplier-simulator.js";

type Ops = typeof supplierOperations;
export type BusinessOperationName = Exclude<SupplierOperationName, "token">;

/** A handler takes the validated input, calls one verb of the simulator, and returns the result. */
export type RouteHandler<K extends BusinessOperationName> = (input: z.output<Ops[K]["request"]>, sim: SupplierSimulator) => Outcome<z.output<Ops[K]["result"]>>;

export const ok = <T>(value: T): Outcome<T> => ({ ok: true, value });
