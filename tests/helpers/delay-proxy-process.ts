import { type DelayTarget, startDelayProxy } from "./delay-proxy.js";

/**
 * A delay proxy (tests/helpers/delay-proxy.ts) in its own process: its options as JSON in the first
 * argument; sends { port } over IPC once it listens; stops on SIGTERM or when its parent goes.
 */
const options = JSON.parse(process.argv[2] ?? "{}") as { target: DelayTarget; oneWayMs: number };
const proxy = await startDelayProxy(options);
process.send?.({ port: proxy.port });
const stop = () => void proxy.close().then(() => process.exit(0));
process.once("SIGTERM", stop);
process.once("disconnect", stop);
