// `node --import` this to start a gateway whose bridge worker takes faults from PG_WORKER_FAULT_FILE.
import { installWorkerFaults } from "./pg-worker-faults.js";

if (process.env.PG_WORKER_FAULT_FILE) installWorkerFaults(process.env.PG_WORKER_FAULT_FILE);
