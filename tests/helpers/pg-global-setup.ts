import type { TestProject } from "vitest/node";
import { type PgCluster, startPgCluster } from "./pg-cluster.js";

declare module "vitest" {
  export interface ProvidedContext {
    /** The socket directory of the cluster the postgres project's gateways make their databases in. */
    pgSocketDir: string;
  }
}

let cluster: PgCluster | undefined;

/** One throwaway cluster for the whole postgres project; each test gateway gets its own database in it. */
export async function setup(project: TestProject): Promise<void> {
  cluster = await startPgCluster();
  project.provide("pgSocketDir", cluster.socketDir);
}

export async function teardown(): Promise<void> {
  await cluster?.stop();
}
