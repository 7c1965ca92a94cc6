import express, { type Request, type Response, Router } from "express";
import { z } from "zod";
import { supplierOperations } from "../contract/index.js";
import { conformanceDefects, faultKinds, hostileCases, orderAnswerChanges } from "./simulator-knobs.js";
import type { SupplierSimulator } from "./supplier-simulator.js";

const endpointNames: [string, ...string[]] = ["*", ...Object.keys(supplierOperations)];
const probability = z.number().min(0).max(1);

const KnobSettingsBody = z.object({
  endpoints: z
    .partialRecord(
      z.enum(endpointNames),
      z.object({
        latencyMs: z.number().int().min(0).max(120_000).optional(),
        qps: z.number().int().min(1).nullable().optional(),
        faults: z.partialRecord(z.enum(faultKinds), probability).optional(),
      }),
    )
    .optional(),
  duplicateMessages: probability.optional(),
  supplierQps: z.number().int().min(1).nullable().optional(),
  timeoutHoldMs: z.number().int().min(0).max(600_000).optional(),
  tokenTtlSeconds: z
    .number()
    .int()
    .min(1)
    .max(30 * 24 * 3600)
    .optional(),
  unsignedRefusals: z.boolean().optional(),
  orderAnswerChange: z.enum(orderAnswerChanges).nullable().optional(),
  hostile: z.union([z.boolean(), z.array(z.enum(hostileCases))]).optional(),
  defects: z.array(z.enum(conformanceDefects)).optional(),
});
const InjectBody = z.object({ endpoint: z.enum(endpointNames), fault: z.enum(faultKinds), times: z.number().int().min(1).max(10_000).default(1) });
const ChangesBody = z.object({ count: z.number().int().min(1).max(100_000) });
const RateBody = z.object({ rate: z.number().min(0).max(10_000) });

/**
 * `/_sim`: the simulator's own control surface (not part of the docking contract) — the truth to
 * compare a sync against, orders, messages, and the knobs. JSON, honest HTTP statuses.
 */
export function simulatorAdminRouter(sim: SupplierSimulator): Router {
  const router = Router();
  router.use(express.json({ limit: "1mb" }));
  const body = <S extends z.ZodType>(schema: S, req: Request, res: Response): z.output<S> | null => {
    const parsed = schema.safeParse(req.body ?? {});
    if (parsed.success) return parsed.data;
    res.status(400).json({ error: { code: "invalid_body", message: parsed.error.issues.map((i) => `${i.path.join(".")} ${i.message}`).join("; ") } });
    return null;
  };

  router.get("/truth", (_req, res) => void res.json(sim.exportTruth()));
  router.get("/orders", (_req, res) => void res.json(sim.orders.all()));
  router.get("/messages", (_req, res) => void res.json(sim.pool.all().filter((m) => !m.deleted)));
  router.get("/knobs", (_req, res) => void res.json(sim.knobs.settings()));
  router.put("/knobs", (req, res) => {
    const settings = body(KnobSettingsBody, req, res);
    if (!settings) return;
    sim.knobs.apply(settings as Parameters<typeof sim.knobs.apply>[0]);
    res.json(sim.knobs.settings());
  });
  router.delete("/knobs", (_req, res) => {
    sim.knobs.reset();
    res.status(204).end();
  });
  router.post("/faults", (req, res) => {
    const inject = body(InjectBody, req, res);
    if (!inject) return;
    sim.knobs.inject(inject.endpoint as Parameters<typeof sim.knobs.inject>[0], inject.fault, inject.times);
    res.status(204).end();
  });
  router.post("/changes", (req, res) => {
    const changes = body(ChangesBody, req, res);
    if (!changes) return;
    res.json(sim.generator.tick(changes.count).map((c) => ({ kind: c.kind, sku: c.sku, messageIds: c.messages.map((m) => m.id) })));
  });
  router.put("/generator", (req, res) => {
    const rate = body(RateBody, req, res);
    if (!rate) return;
    sim.generator.start(rate.rate);
    res.json({ running: sim.generator.running, rate: rate.rate });
  });
  router.post("/scenarios/:name", (req, res) => {
    const run = sim.runScenario(String(req.params.name));
    if (!run) return void res.status(404).json({ error: { code: "unknown_scenario", message: `no scenario ${req.params.name}` } });
    res.json({ name: run.name, bindings: run.bindings, skipped: run.skipped, applied: run.applied.map((c) => ({ kind: c.kind, sku: c.sku })) });
  });
  router.post("/tokens/revoke", (_req, res) => {
    sim.auth.revokeAllTokens();
    res.status(204).end();
  });
  return router;
}
