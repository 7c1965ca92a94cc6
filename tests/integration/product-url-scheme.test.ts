import { afterEach, describe, expect, it } from "vitest";
import { type PullerWorld, pullOnce, startPullerWorld } from "../helpers/puller-harness.js";

let world: PullerWorld | undefined;
afterEach(async () => {
  await world?.close();
  world = undefined;
});

type Reason = { code: number; field: string };

describe("image and certificate URLs must be http(s) (§7, 5015)", () => {
  it("rejects a product whose image or certificate is a javascript: or data: URL, and keeps the rest active", async () => {
    world = await startPullerWorld({ products: 8, invalidShare: 0 });
    const [scripted, inlined, clean] = world.sim.sim.products.all();
    if (!scripted || !inlined || !clean) throw new Error("too few products");
    const main = [...scripted.images].sort((a, b) => a.order - b.order)[0];
    if (!main) throw new Error("no image");
    main.path = "javascript:alert(document.cookie)//a.png";
    inlined.promise.certifications = [
      ...inlined.promise.certifications,
      { promiseId: "P299", certNo: "1", certUrl: "data:application/pdf;base64,JVBERi0xLjQ=.pdf", validUntil: "2030-01-01" },
    ];

    const summary = await pullOnce(world);
    expect(summary.status).toBe("succeeded");
    const repo = world.gw.container.repos.products;
    const reasonsOf = async (sku: string) => JSON.parse((await repo.bySku(world?.supplierId ?? -1, sku))?.rejectionJson ?? "[]") as Reason[];

    expect((await repo.bySku(world.supplierId, scripted.sku))?.status).toBe("rejected");
    expect(await reasonsOf(scripted.sku)).toEqual(expect.arrayContaining([{ code: 5015, field: "image_path", message: expect.any(String) }]));
    expect((await repo.bySku(world.supplierId, inlined.sku))?.status).toBe("rejected");
    expect(await reasonsOf(inlined.sku)).toContainEqual(expect.objectContaining({ code: 5015, field: "certifications.certUrl" }));
    expect((await repo.bySku(world.supplierId, clean.sku))?.status).toBe("active");
  });
});
