import { fenToYuan } from "../../contract/index.js";
import type { ExportPage } from "../../store/repos/product-export-repo.js";
import { type Command, UsageError, flags, requireFlag, table } from "../cli-kit.js";

/** One listed product, as `products list` prints it. */
const listed = ({ product: p, stock }: ExportPage[number]) => ({
  sku: p.sku,
  name: p.name,
  status: p.status,
  shelfState: p.shelfState,
  price: p.priceFen === null ? null : fenToYuan(p.priceFen),
  mall_price: p.mallPriceFen === null ? null : fenToYuan(p.mallPriceFen),
  interfaceCode: p.interfaceCode,
  brandName: p.brandName,
  listingState: p.listingState,
  stock: stock.map((s) => ({ area: s.area, num: s.num, desc: s.description })),
  reasons: JSON.parse(p.rejectionJson) as Array<{ code: number; field: string; message: string }>,
  updatedAt: new Date(p.updatedAt).toISOString(),
});

export const productCommands: Record<string, Command> = {
  list: {
    usage: "products list --supplier CODE [--status active|rejected|delisted]",
    summary: "every stored sku of a supplier: status, shelf state, prices (yuan), stock, rejection reasons",
    async run({ argv, container }) {
      const v = flags(argv, { supplier: { type: "string" }, status: { type: "string" } });
      const code = requireFlag(v, "supplier");
      const supplier = await container.repos.accounts.supplierByCode(code);
      if (!supplier) throw new UsageError(`no supplier with code ${code}`);
      // Read and written a page at a time: a supplier may have hundreds of thousands of skus.
      async function* products(): AsyncGenerator<ReturnType<typeof listed>[]> {
        for await (const page of container.repos.productExport.pages(supplier?.id ?? -1)) {
          yield page.filter(({ product }) => v.status === undefined || product.status === v.status).map(listed);
        }
      }
      if (v.json) return { human: "", json: {}, stream: { field: "products", pages: products() } };
      const rows: ReturnType<typeof listed>[] = [];
      for await (const page of products()) rows.push(...page);
      const human = table(
        rows.map((p) => ({ ...p, reasons: p.reasons.map((r) => `${r.code} ${r.field}: ${r.message}`).join("; ") })),
        ["sku", "status", "shelfState", "price", "mall_price", "interfaceCode", "name", "reasons"],
      );
      return { human, json: { products: rows } };
    },
  },
};
