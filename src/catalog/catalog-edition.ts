import { DomainError } from "../lib/errors.js";
import { createHash } from "node:crypto";
import type { CatalogEditionEntry, CatalogRow } from "../store/repos/reference-repo.js";
import type { CatalogFile } from "./reference-files.js";

/** A reference file or edition that cannot be loaded: nothing of it is written. */
export class CatalogEditionError extends DomainError {
  override readonly name = "CatalogEditionError";
  constructor(message: string) {
    super("invalid", message);
  }
}

/** §4 M-3: levels run 1–4. */
const MAX_LEVEL = 4;

/**
 * Turns a catalog file into rows to store, with levels and leaves derived from the tree and a
 * `version` that moves exactly when a catalog's own fields or its parameters change (5010).
 */
export function planCatalogEdition(
  file: CatalogFile,
  existing: ReadonlyMap<string, Pick<CatalogRow, "version" | "contentHash" | "updatedAt">>,
  now: number,
): { entries: CatalogEditionEntry[]; changed: number; added: number } {
  const byId = new Map(file.catalogs.map((c) => [c.id, c]));
  if (byId.size !== file.catalogs.length) throw new CatalogEditionError("duplicate catalog id");
  const codes = new Set(file.catalogs.map((c) => c.interfaceCode));
  if (codes.size !== file.catalogs.length) throw new CatalogEditionError("duplicate interfaceCode");
  const hasChildren = new Set(file.catalogs.map((c) => c.parentId));

  const levelOf = (id: string, seen: Set<string> = new Set()): number => {
    const c = byId.get(id);
    if (!c) throw new CatalogEditionError(`catalog ${id} is referenced as a parent but not defined`);
    if (seen.has(id)) throw new CatalogEditionError(`catalog ${id} is its own ancestor`);
    seen.add(id);
    return c.parentId === "0" ? 1 : 1 + levelOf(c.parentId, seen);
  };

  let changed = 0;
  let added = 0;
  const entries = file.catalogs.map((c, index): CatalogEditionEntry => {
    const level = levelOf(c.id);
    if (level > MAX_LEVEL) throw new CatalogEditionError(`catalog ${c.id} is at level ${level}; at most ${MAX_LEVEL}`);
    const isLeaf = hasChildren.has(c.id) ? 0 : 1;
    if (isLeaf === 0 && c.params && c.params.length > 0) {
      throw new CatalogEditionError(`catalog ${c.id} has children and parameters; products attach to leaves only`);
    }
    const params = (c.params ?? []).map((p) => ({
      attributeId: p.attributeID,
      attributeName: p.attributeName,
      inputType: p.inputType,
      required: p.required,
      unit: p.unit,
      sort: p.sort,
      valuesJson: JSON.stringify(p.values),
    }));
    const contentHash = createHash("sha256")
      .update(JSON.stringify([c.interfaceCode, c.name, c.parentId, level, isLeaf, params]))
      .digest("hex");
    const before = existing.get(c.id);
    const same = before !== undefined && before.contentHash === contentHash;
    if (!before) added++;
    else if (!same) changed++;
    return {
      catalog: {
        id: c.id,
        interfaceCode: c.interfaceCode,
        name: c.name,
        parentId: c.parentId,
        level,
        isLeaf,
        version: before ? (same ? before.version : before.version + 1) : 1,
        contentHash,
        sort: index,
        updatedAt: same && before ? before.updatedAt : now,
      },
      params: same ? null : params,
    };
  });
  return { entries, changed, added };
}
