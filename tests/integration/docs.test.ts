import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TestGateway, startTestGateway } from "../helpers/harness.js";

let gw: TestGateway;
beforeAll(async () => {
  gw = await startTestGateway();
});
afterAll(() => gw.close());

describe("/docs", () => {
  it("serves a self-contained reference of every mall endpoint", async () => {
    const res = await fetch(`${gw.url}/docs`);
    expect(res.status).toBe(200);
    const html = await res.text();
    for (const path of ["/gyssc/token", "/gyssc/platform/catalogs", "/catalogsParam", "/getAreas", "/brands"]) expect(html).toContain(path);
    expect(html).toContain("品目数据已更新，请重新获取品目！");
    expect(html).not.toMatch(/(src|href)="https?:\/\//);
  });

  it("serves the OpenAPI document it renders", async () => {
    const doc = (await (await fetch(`${gw.url}/docs/openapi.json`)).json()) as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths)).toHaveLength(7);
  });
});
