import { createSupplierAccounts } from "./accounts/supplier-accounts.js";
import { createReferenceLoader } from "./catalog/reference-loader.js";
import { createReferenceService } from "./catalog/reference-service.js";
import { type Config, databaseTarget } from "./config/config.js";
import type { Logger } from "./lib/logger.js";
import { createAccountSecrets } from "./mall/auth/account-secrets.js";
import { createCallAuth } from "./mall/auth/call-auth.js";
import { createReplayGuard } from "./mall/auth/replay-guard.js";
import { createTokenLogin } from "./mall/auth/token-login.js";
import { createTokenService } from "./mall/auth/token-service.js";
import { createMallCalls } from "./mall/mall-calls.js";
import { auditKeysFromConfig } from "./security/audit-keys.js";
import { NONCE_MEMORY_SECONDS } from "./contract/index.js";
import { keyRingFromConfig } from "./security/key-ring.js";
import { openPgStore, openStore } from "./store/database.js";
import { createAccountRepo } from "./store/repos/account-repo.js";
import { createCallBudgetRepo } from "./store/repos/call-budget-repo.js";
import { createNonceRepo } from "./store/repos/nonce-repo.js";
import { createReferenceRepo } from "./store/repos/reference-repo.js";
import { createProductRepo } from "./store/repos/product-repo.js";
import { createProductExportRepo } from "./store/repos/product-export-repo.js";
import { createCallLogRepo } from "./store/repos/call-log-repo.js";
import { createConnectionRepo } from "./store/repos/connection-repo.js";
import { createInboxRepo } from "./store/repos/inbox-repo.js";
import { createMessageLogRepo } from "./store/repos/message-log-repo.js";
import { createSyncLeaseRepo } from "./store/repos/sync-lease-repo.js";
import { createSyncRunRepo } from "./store/repos/sync-run-repo.js";
import { createSupplierConnections } from "./connections/supplier-connections.js";
import { createSyncService } from "./sync/sync-service.js";
import { createOrderModule } from "./orders/order-module.js";
import { createOrderRepo } from "./store/repos/order-repo.js";
import { createAdminModule } from "./admin/admin-module.js";
import { createGatewayMetrics } from "./ops/gateway-metrics.js";
import { countingAuthFailures } from "./ops/auth-metrics.js";
import { createRuntimeState } from "./ops/runtime-state.js";
import { registerStoreGauges } from "./ops/store-gauges.js";
import { createOpsRepo } from "./store/repos/ops-repo.js";
import { createConformanceService } from "./conformance/conformance-service.js";
import { createConformanceRunQueue } from "./conformance/run-queue.js";
import { type ProductionConformance, createProductionConformance } from "./conformance/production-conformance.js";
import { cachedConnections } from "./conformance/production-connections.js";
import { createProductionRepo } from "./store/repos/production-repo.js";
import type { CallRecorder } from "./supplier/call-recorder.js";
import { createConformanceJobRepo } from "./store/repos/conformance-job-repo.js";
import { createMallUsage } from "./conformance/mall-usage.js";
import { createConformanceRepo } from "./store/repos/conformance-repo.js";
import { createRetentionRepo } from "./store/repos/retention-repo.js";
import { createScheduleRepo } from "./store/repos/schedule-repo.js";
import { createRetentionService } from "./retention/retention-service.js";

/** The composition root: one line per module. Shared by the server and the CLI. */
export type Container = Awaited<ReturnType<typeof createContainer>>;

export async function createContainer(config: Config, logger: Logger, clock: () => number = Date.now) {
  const target = databaseTarget(config);
  const store =
    target.kind === "postgres"
      ? await openPgStore(target.url, {
          poolSize: config.DATABASE_POOL_SIZE,
          idleInTransactionMs: config.DATABASE_IDLE_IN_TRANSACTION_MS,
          onChangeFeed: ({ live, reason }) =>
            live
              ? logger.info({ event: "store.changes.listening" }, "listening for account and reference changes: signed calls read them from memory")
              : logger.warn(
                  { event: "store.changes.lost", reason },
                  "change listener lost: signed calls read accounts and reference data from the database until it is back",
                ),
        })
      : openStore(target.path, {
          onSlowTransaction: (ms) =>
            logger.warn(
              { event: "store.transaction.slow", ms: Math.round(ms) },
              "a transaction held the SQLite writer over a second: its body does more than database work",
            ),
        });
  const keys = keyRingFromConfig(config);
  const accountRepo = createAccountRepo(store.sql);
  const nonceRepo = createNonceRepo(store.sql);
  const referenceRepo = createReferenceRepo(store.sql);
  const productRepo = createProductRepo(store.sql);
  const connectionRepo = createConnectionRepo(store.sql);
  const syncLeaseRepo = createSyncLeaseRepo(store.sql);
  const inboxRepo = createInboxRepo(store.sql);
  const syncRunRepo = createSyncRunRepo(store.sql);
  const messageLogRepo = createMessageLogRepo(store.sql);
  const callLogRepo = createCallLogRepo(store.sql);
  const opsRepo = createOpsRepo(store);
  const metrics = createGatewayMetrics();
  const storeGauges = registerStoreGauges(metrics, opsRepo, clock);
  const secrets = createAccountSecrets(keys);
  const tokens = createTokenService(keys.deriveKey("mall-token"), config.TOKEN_TTL_SECONDS, clock);
  const reference = createReferenceService(referenceRepo, config.PLATFORM_REGION_CODE);
  const callBudgetRepo = createCallBudgetRepo(store.sql);
  // Production conformance sees every production call beside the metrics; it needs the conformance
  // service and the audit trail, made below, only when it acts on a bad day.
  let production: ProductionConformance | null = null;
  const callObserver: CallRecorder = { record: (call) => (metrics.callRecorder.record(call), production?.recorder.record(call)) };
  const supplierConnections = createSupplierConnections({
    accounts: accountRepo,
    repo: connectionRepo,
    keys,
    platformCode: config.PLATFORM_CODE,
    logger,
    clock,
    callObserver,
    callBudget: callBudgetRepo,
  });
  const authDeps = { accounts: accountRepo, nonces: nonceRepo, secrets, tokens, clock };
  const replay = createReplayGuard(nonceRepo, { memoryMs: NONCE_MEMORY_SECONDS * 1000 });
  const conformanceRepo = createConformanceRepo(store.sql);
  const conformance = createConformanceService({ repo: conformanceRepo, accounts: accountRepo, reference: referenceRepo, keys, config, clock });
  // Marks whose modules a contract change touched get their re-certify-by date before anything is served.
  await conformance.applyContractChanges();
  const conformanceRuns = createConformanceRunQueue({
    jobs: createConformanceJobRepo(store.sql),
    accounts: accountRepo,
    keys,
    run: (args) => conformance.run(args),
    settings: {
      maxConcurrent: config.CONFORMANCE_MAX_CONCURRENT_RUNS,
      runsPerDay: config.CONFORMANCE_RUNS_PER_DAY,
      leaseMs: config.CONFORMANCE_RUN_LEASE_MS,
      runTimeoutMs: config.CONFORMANCE_RUN_TIMEOUT_MS,
    },
    clock,
    logger,
  });
  storeGauges.setTrustMarkSource(() => conformance.markReadings());
  const admin = createAdminModule(store, accountRepo, clock, auditKeysFromConfig(config, keys));
  await admin.ready;
  production = createProductionConformance({
    repo: createProductionRepo(store.sql),
    accounts: accountRepo,
    connectionOf: cachedConnections(connectionRepo, accountRepo),
    holdBack: (code, reason, tx) => conformance.holdBack(code, reason, tx),
    audit: (entry) => admin.audit.record(entry),
    settings: {
      policy: config.CONFORMANCE_PRODUCTION_POLICY,
      minScore: config.CONFORMANCE_PRODUCTION_MIN_SCORE,
      badDays: config.CONFORMANCE_PRODUCTION_BAD_DAYS,
    },
    clock,
    logger,
  });
  const productionConformance = production;
  storeGauges.setConformanceScoreSource(() => productionConformance.readings());

  return {
    config,
    logger,
    clock,
    store,
    keys,
    repos: {
      accounts: accountRepo,
      nonces: nonceRepo,
      reference: referenceRepo,
      products: productRepo,
      productExport: createProductExportRepo(store.sql),
      connections: connectionRepo,
      syncLeases: syncLeaseRepo,
      inbox: inboxRepo,
      syncRuns: syncRunRepo,
      messageLogs: messageLogRepo,
      callLogs: callLogRepo,
      ops: opsRepo,
      callBudget: callBudgetRepo,
      conformance: conformanceRepo,
      schedule: createScheduleRepo(store.sql),
    },
    conformance,
    /** Certification runs queued from the portal, console and admin API, run in the background. */
    conformanceRuns,
    /** The production calls scored per supplier and day with the kit's checks, and the policy on bad days. */
    production: productionConformance,
    metrics,
    /** Where trust marks plug into /metrics once they exist. */
    setTrustMarkSource: storeGauges.setTrustMarkSource,
    runtime: createRuntimeState(config.SCHEDULER_ENABLED),
    supplierAccounts: createSupplierAccounts(accountRepo, keys, clock),
    referenceLoader: createReferenceLoader(referenceRepo, clock),
    supplierConnections,
    orders: createOrderModule({
      repo: createOrderRepo(store.sql),
      accounts: accountRepo,
      products: productRepo,
      reference: referenceRepo,
      keys,
      connections: supplierConnections,
      clock,
      logger,
      gate: conformance.gate,
      freight: { freeFromFen: config.FREIGHT_FREE_FROM_FEN, flatFen: config.FREIGHT_FLAT_FEN },
      policy: { leaseMs: config.ORDER_LEASE_MS, baseDelayMs: config.ORDER_RETRY_BASE_MS },
    }),
    sync: createSyncService({
      config,
      store,
      accounts: accountRepo,
      products: productRepo,
      leases: syncLeaseRepo,
      syncRuns: syncRunRepo,
      inbox: inboxRepo,
      messageLogs: messageLogRepo,
      callLogs: callLogRepo,
      reference: referenceRepo,
      connections: supplierConnections,
      logger,
      clock,
      gate: conformance.gate,
      onRunFinished: metrics.runFinished,
    }),
    retention: createRetentionService({ repo: createRetentionRepo(store.sql), config, clock, logger }),
    reference,
    admin,
    mall: {
      secrets,
      login: countingAuthFailures(createTokenLogin(authDeps), metrics),
      authenticate: countingAuthFailures(createCallAuth({ ...authDeps, replay }), metrics),
      usage: createMallUsage(conformanceRepo, clock),
      calls: createMallCalls({ reference, accounts: accountRepo, platform: { code: config.PLATFORM_CODE, name: config.PLATFORM_NAME } }),
    },
    /** Resolves once the last writes are done and the store is closed. */
    close: async () => {
      await productionConformance.flush();
      // Calls waiting on the replay batch are answered from a committed write, not dropped.
      await replay.flush();
      store.close();
    },
  };
}
