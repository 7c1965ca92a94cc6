import { type Command, UsageError, flags } from "../cli-kit.js";

export const referenceCommands: Record<string, Command> = {
  load: {
    usage: "reference load [--catalogs FILE] [--brands FILE] [--promises FILE] [--areas]",
    summary: "load a centre's own catalog edition, brands or promise options; changed catalogs get a new version",
    audit: "reference.load",
    async run({ argv, container }) {
      const v = flags(argv, {
        catalogs: { type: "string" },
        brands: { type: "string" },
        promises: { type: "string" },
        areas: { type: "boolean" },
      });
      if (!v.catalogs && !v.brands && !v.promises && !v.areas) throw new UsageError("name at least one of --catalogs, --brands, --promises, --areas");
      const loader = container.referenceLoader;
      // Catalogs first: brand links and promise scopes name catalog codes.
      const report = {
        ...(v.catalogs ? { catalogs: await loader.loadCatalogs(v.catalogs) } : {}),
        ...(v.brands ? { brands: await loader.loadBrands(v.brands) } : {}),
        ...(v.promises ? { promises: await loader.loadPromises(v.promises) } : {}),
        ...(v.areas ? { areas: await loader.loadAreas() } : {}),
      };
      return { human: JSON.stringify(report, null, 2), json: { report }, audit: { summary: { after: report } } };
    },
  },
  status: {
    usage: "reference status",
    summary: "what reference data is loaded",
    async run({ argv, container }) {
      flags(argv, {});
      const repo = container.repos.reference;
      const all = await repo.allCatalogs();
      const report = {
        revision: await repo.revision(),
        catalogs: all.length,
        leafCatalogs: all.filter((c) => c.isLeaf === 1).length,
        brands: (await repo.brandPage({ offset: 0, limit: 1 })).total,
        promises: (await repo.allPromiseOptions()).length,
        areas: await repo.areaCount(),
      };
      return { human: JSON.stringify(report, null, 2), json: { report } };
    },
  },
};
