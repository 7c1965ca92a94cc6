import { readFileSync } from "node:fs";
import express from "express";

/**
 * The baseline for bench-mall-api: express with body parsers answering the bytes of
 * BENCH_BODY_FILE (a signed /brands answer) as JSON, nothing else.
 */
const body = process.env.BENCH_BODY_FILE ? readFileSync(process.env.BENCH_BODY_FILE, "utf8") : '{"success":true,"result":{"ok":true}}';
const app = express();
app.disable("x-powered-by");
app.disable("etag");
app.use(express.urlencoded({ extended: false }), express.json());
app.post("/bare", (_req, res) => {
  res.type("application/json").send(body);
});
app.listen(Number(process.env.PORT ?? 0), "127.0.0.1");
