import express from "express";

/** The baseline for bench-mall-api: express with body parsers and a JSON answer, nothing else. */
const app = express();
app.disable("x-powered-by");
app.disable("etag");
app.use(express.urlencoded({ extended: false }), express.json());
app.post("/bare", (_req, res) => {
  res.json({ success: true, result: { ok: true } });
});
app.listen(Number(process.env.PORT ?? 0), "127.0.0.1");
