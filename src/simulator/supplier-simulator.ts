import type { SignMode } from "../contract/index.js";
import { ChangeGenerator } from "./change-generator.js";
import { HostileSupplier } from "./hostile-supplier.js";
import { MessagePool } from "./message-pool.js";
import { OrderBook } from "./order-book.js";
import { ProductChanges } from "./product-changes.js";
import { ProductFactory } from "./product-seed.js";
import { ProductStore } from "./product-store.js";
import type { ReferenceData } from "./reference-data.js";
import { type Scenario, type ScenarioRun, runScenario } from "./scenario-runner.js";
import { createRandom } from "./seeded-random.js";
import { DEFAULT_TOKEN_TTL_SECONDS, type KnobSettings, SimulatorKnobs } from "./simulator-knobs.js";
import { type SupplierAccount, SupplierAuth } from "./supplier-auth.js";

export type SimulatorOptions = {
  account: SupplierAccount;
  /** The platformCode the mall must send on S-2…S-12 (§2.2). */
  platformCode: string;
  reference: ReferenceData;
  /** Registered product domain; product urls live here (§7). */
  domain?: string;
  products?: number;
  invalidShare?: number;
  offShelfShare?: number;
  seed?: number;
  tokenTtlSeconds?: number;
  /** Publish a type-6 "added" message for every seeded sku, as a supplier does when docking starts. */
  publishInitialPool?: boolean;
  /** Mixed changes a second from the change generator; 0 = off. */
  changeRate?: number;
  knobs?: KnobSettings;
  scenarios?: Map<string, Scenario>;
  now?: () => number;
};

export const SIMULATOR_DEFAULTS = {
  domain: "item.sim-supplier.cn",
  products: 500,
  invalidShare: 0.1,
  offShelfShare: 0.05,
  seed: 20221020,
  tokenTtlSeconds: DEFAULT_TOKEN_TTL_SECONDS,
} as const;

/** The reference supplier's state: account, products, message pool, orders and knobs. */
export class SupplierSimulator {
  readonly auth: SupplierAuth;
  readonly products = new ProductStore();
  readonly pool: MessagePool;
  readonly orders: OrderBook;
  readonly knobs: SimulatorKnobs;
  readonly changes: ProductChanges;
  readonly generator: ChangeGenerator;
  readonly factory: ProductFactory;
  readonly hostile: HostileSupplier;
  readonly platformCode: string;
  readonly domain: string;
  readonly reference: ReferenceData;
  readonly scenarios: Map<string, Scenario>;
  readonly now: () => number;
  private readonly countyPaths: Set<string>;
  private readonly scenarioRandom: ReturnType<typeof createRandom>;

  constructor(options: SimulatorOptions) {
    this.now = options.now ?? Date.now;
    const seed = options.seed ?? SIMULATOR_DEFAULTS.seed;
    // Separate streams, so turning a fault on does not change which products get seeded.
    const seedRandom = createRandom(seed);
    const changeRandom = createRandom(seed + 1);
    this.knobs = new SimulatorKnobs(createRandom(seed + 2), options.tokenTtlSeconds ?? SIMULATOR_DEFAULTS.tokenTtlSeconds);
    this.scenarioRandom = createRandom(seed + 3);
    if (options.knobs) this.knobs.apply(options.knobs);
    this.platformCode = options.platformCode;
    this.domain = options.domain ?? SIMULATOR_DEFAULTS.domain;
    this.reference = options.reference;
    this.scenarios = options.scenarios ?? new Map();
    this.countyPaths = new Set(options.reference.counties.map((c) => c.path));
    this.auth = new SupplierAuth(options.account, () => this.knobs.tokenTtlSeconds, this.now);
    this.pool = new MessagePool(this.now, 1, () => this.knobs.copiesPerMessage());
    this.orders = new OrderBook(this.products, this.now);
    this.factory = new ProductFactory(options.reference, seedRandom, {
      domain: this.domain,
      invalidShare: options.invalidShare ?? SIMULATOR_DEFAULTS.invalidShare,
      offShelfShare: options.offShelfShare ?? SIMULATOR_DEFAULTS.offShelfShare,
    });
    const count = options.products ?? SIMULATOR_DEFAULTS.products;
    for (let i = 0; i < count; i++) this.products.add(this.factory.create());
    this.changes = new ProductChanges(this.products, this.pool, this.factory, changeRandom);
    this.generator = new ChangeGenerator(this.changes);
    // Before the initial pool, so a supplier started hostile has its malformed messages at the head.
    this.hostile = new HostileSupplier(this);
    this.hostile.prepare();
    if (options.publishInitialPool ?? true) this.changes.publishPool();
    if (options.changeRate) this.generator.start(options.changeRate);
  }

  get signMode(): SignMode {
    return this.auth.account.signMode;
  }

  isKnownArea(path: string): boolean {
    return this.countyPaths.has(path);
  }

  runScenario(name: string): ScenarioRun | null {
    const scenario = this.scenarios.get(name);
    if (!scenario) return null;
    return runScenario(scenario, this.changes, this.products, (list) => (list.length > 0 ? this.scenarioRandom.pick(list) : undefined));
  }

  /** Everything the mall should end up knowing, for comparison after a sync. */
  exportTruth() {
    return {
      platformCode: this.platformCode,
      domain: this.domain,
      edition: this.reference.edition,
      products: this.products.exportTruth(),
      pendingMessages: this.pool.pending(),
      orders: this.orders.all(),
      hostile: this.hostile.exportTruth(),
    };
  }

  stop(): void {
    this.generator.stop();
  }
}
