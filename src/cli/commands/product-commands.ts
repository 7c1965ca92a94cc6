import { fenToYuan } from "../../contract/index.js";
import { type Command, UsageError, flags, requireFlag, table } from "../cli-kit.js";

export const productCommands: Record<string, Command> = {
  list: {
    usage: "products list --supplier CODE [--status active|rejected|delisted]",
    summary: "every stored sku of a supplier: status, shelf state, prices (yuan), stock, rejection reasons",
    run({ argv, container }) {
      const v = flags(argv, { supplier: { type: "string" }, status: { type: "string" } });
      const code = requireFlag(v, "supplier");
      const supplier = container.repos.accounts.supplierByCode(code);
      if (!supplier) throw new UsageError(`no supplier with code ${code}`);
      const products = container.repos.products
        .list(supplier.id)
        .filter((p) => v.status === undefined || p.status === v.status)
        .map((p) => ({
          sku: p.sku,
          name: p.name,
          status: p.status,
          shelfState: p.shelfState,
          price: p.priceFen === null ? null : fenToYuan(p.priceFen),
          mall_price: p.mallPriceFen === null ? null : fenToYuan(p.mallPriceFen),
          interfaceCode: p.interfaceCode,
          brandName: p.brandName,
          listingState: p.listingState,
          stock: container.repos.products.stockOf(supplier.id, p.sku).map((s) => ({ area: s.area, num: s.num, desc: s.description })),
          reasons: JSON.parse(p.rejectionJson) as Array<{ code: number; field: string; message: string }>,
          updatedAt: new Date(p.updatedAt).toISOString(),
        }));
      const human = table(
        products.map((p) => ({ ...p, reasons: p.reasons.map((r) => `${r.code} ${r.field}: ${r.message}`).join("; ") })),
        ["sku", "status", "shelfState", "price", "mall_price", "interfaceCode", "name", "reasons"],
      );
      return { human, json: { products } };
    },
  },
};
