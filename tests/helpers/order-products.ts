import type { Container } from "../../src/container.js";
import type { ProductTruth } from "../../src/simulator/product-store.js";
import type { NewProductRow } from "../../src/store/repos/product-repo.js";

/**
 * Puts the simulator's offered products into the mall's product store as the puller would
 * (valid → active, invalid → rejected), prices in fen. Stands in for a sync run until orders
 * tests drive the real puller.
 */
export async function copySimulatorProducts(container: Container, supplierId: number, truth: readonly ProductTruth[], now = Date.now()): Promise<number> {
  const rows: NewProductRow[] = truth
    .filter((t) => t.inPool)
    .map((t) => ({
      supplierId,
      sku: t.sku,
      status: t.valid ? "active" : "rejected",
      name: t.detail.name,
      model: t.detail.model,
      catalogId: t.detail.catalogId,
      interfaceCode: t.detail.interfaceCode,
      brandId: t.detail.brand_id,
      brandName: t.detail.brand_name,
      url: t.detail.url,
      imagePath: t.mainImage,
      detailJson: JSON.stringify(t.detail),
      attributesJson: JSON.stringify(t.attributes),
      promisesJson: JSON.stringify(t.promise),
      imagesJson: JSON.stringify(t.images),
      shelfState: t.shelfState,
      priceFen: t.priceFen,
      mallPriceFen: t.mallPriceFen,
      marketPriceFen: null,
      rejectionJson: t.valid ? "[]" : JSON.stringify(t.invalid),
      listingState: "none",
      sourceMessageIdsJson: "[]",
      detailReadAt: now,
      priceReadAt: now,
      shelfReadAt: now,
      createdAt: now,
      updatedAt: now,
    }));
  await container.store.sql.transaction((tx) => container.repos.products.saveProducts(tx, rows, []));
  return rows.length;
}

/** Valid, on-shelf skus with at least `minStock` in `province` (made-to-order skus count as stocked). */
export function orderableSkus(truth: readonly ProductTruth[], province: string, minStock = 1): ProductTruth[] {
  return truth.filter((t) => {
    if (!t.inPool || !t.valid || t.shelfState !== 1) return false;
    if (t.stock === null) return true;
    return (t.stock.byProvince[province] ?? t.stock.base) >= minStock;
  });
}
