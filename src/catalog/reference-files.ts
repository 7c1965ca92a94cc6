import { DomainError } from "../lib/errors.js";
import { readFileSync } from "node:fs";
import { z } from "zod";

/**
 * The file formats a centre loads its reference data from (fixtures/ ships one edition).
 * These are files, not wire shapes, so they live here rather than in src/contract.
 */
const FileParam = z.object({
  attributeID: z.string().min(1).max(50),
  attributeName: z.string().min(1).max(200),
  inputType: z.union([z.literal(1), z.literal(2), z.literal(3), z.literal(4)]),
  required: z.union([z.literal(0), z.literal(1)]),
  unit: z.string().default(""),
  sort: z.number().int(),
  values: z.array(z.object({ valueID: z.string().min(1), value: z.string().min(1) })),
});
export type FileParam = z.output<typeof FileParam>;

const FileCatalog = z.object({
  id: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/),
  interfaceCode: z.string().min(1).max(64),
  name: z.string().min(1).max(100),
  parentId: z.string().min(1),
  params: z.array(FileParam).optional(),
});
export type FileCatalog = z.output<typeof FileCatalog>;

export const CatalogFile = z.object({ edition: z.string().min(1), catalogs: z.array(FileCatalog).min(1) });
export type CatalogFile = z.output<typeof CatalogFile>;

export const BrandFile = z.object({
  brands: z.array(
    z.object({
      brandId: z.string().min(1).max(32),
      brandName: z.string().min(1).max(100),
      brandEnName: z.string().max(100).default(""),
      logo: z.string().max(500).default(""),
      interfaceCodes: z.array(z.string()).default([]),
    }),
  ),
});
export type BrandFile = z.output<typeof BrandFile>;

export const PromiseFile = z.object({
  promises: z.array(
    z.object({
      promiseType: z.union([z.literal(1), z.literal(2), z.literal(3)]),
      promiseId: z.string().min(1).max(32),
      promiseName: z.string().min(1).max(100),
      promiseDesc: z.string().max(200),
      needAttachment: z.union([z.literal(0), z.literal(1)]),
      required: z.union([z.literal(0), z.literal(1)]),
      interfaceCodes: z.array(z.string()).default([]),
    }),
  ),
});
export type PromiseFile = z.output<typeof PromiseFile>;

/** A reference file or edition that cannot be loaded: nothing of it is written. */
export class ReferenceFileError extends DomainError {
  override readonly name = "ReferenceFileError";
  constructor(message: string) {
    super("invalid", message);
  }
}

/** Reads and validates one reference file, naming the file and the first bad entries. */
export function readReferenceFile<S extends z.ZodType>(path: string, schema: S): z.output<S> {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new ReferenceFileError(`${path}: ${(e as Error).message}`);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join(".")}: ${i.message}`);
    throw new ReferenceFileError(`${path}: ${issues.join("; ")}`);
  }
  return parsed.data;
}
