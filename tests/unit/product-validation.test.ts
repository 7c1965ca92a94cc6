import { describe, expect, it } from "vitest";
import type { CatalogParam, PromiseOption } from "../../src/contract/index.js";
import { ADVERTISING_LAW_TERMS, type ProductSnapshot, type ValidationContext, validateProduct } from "../../src/sync/product-validation.js";

const params: CatalogParam[] = [
  {
    attributeID: "101",
    attributeName: "CPU品牌",
    inputType: 1,
    required: 1,
    unit: "",
    sort: 1,
    values: [
      { valueID: "10101", value: "Intel" },
      { valueID: "10102", value: "海光" },
    ],
  },
  {
    attributeID: "102",
    attributeName: "接口",
    inputType: 2,
    required: 0,
    unit: "",
    sort: 2,
    values: [
      { valueID: "10201", value: "USB" },
      { valueID: "10202", value: "HDMI" },
    ],
  },
  { attributeID: "103", attributeName: "CPU核心数", inputType: 4, required: 1, unit: "核", sort: 3, values: [] },
  { attributeID: "104", attributeName: "CPU型号", inputType: 3, required: 0, unit: "", sort: 4, values: [] },
];
const required: PromiseOption[] = [
  { promiseType: 2, promiseId: "P201", promiseName: "CCC认证", promiseDesc: "", needAttachment: 1, required: 1, interfaceCodes: ["A02010105"] },
  { promiseType: 3, promiseId: "P301", promiseName: "七天无理由退货", promiseDesc: "", needAttachment: 0, required: 1, interfaceCodes: [] },
];
const ctx: ValidationContext = {
  catalog: (id) => (id === "10001" ? { interfaceCode: "A02010105", isLeaf: true } : id === "100" ? { interfaceCode: "A0201", isLeaf: false } : undefined),
  params: () => params,
  brandExists: (id) => id === "B0001",
  requiredPromises: () => required,
  domains: ["item.jd.com"],
  bannedTerms: ADVERTISING_LAW_TERMS,
};

function product(): ProductSnapshot {
  return {
    detail: {
      sku: "100001",
      name: "联想 启天M450 台式计算机",
      model: "M450",
      catalogId: "10001",
      interfaceCode: "A02010105",
      brand_id: "B0001",
      brand_name: "联想",
      url: "https://item.jd.com/100001.html",
      image_path: "https://img.jd.com/a.jpg",
      state: 1,
      unit: "台",
      introduction: "<p>商用台式机</p>",
    },
    attributes: [
      { attributeID: "101", attributeName: "CPU品牌", valueID: "10101", value: "Intel" },
      { attributeID: "102", attributeName: "接口", valueID: "10201", value: "USB" },
      { attributeID: "102", attributeName: "接口", valueID: "10202", value: "HDMI" },
      { attributeID: "103", attributeName: "CPU核心数", valueID: "", value: "8" },
    ],
    promise: {
      sku: "100001",
      sevenDayReturn: 1,
      promises: [],
      certifications: [{ promiseId: "P201", certNo: "2021010901", certUrl: "https://img.jd.com/ccc.pdf", validUntil: "2027-01-01" }],
    },
    images: { sku: "100001", images: [{ path: "https://img.jd.com/1.png", order: 1 }] },
    price: { sku: "100001", price: 4999, mall_price: 5299 },
  };
}
const codesOf = async (p: ProductSnapshot) => (await validateProduct(p, ctx)).map((r) => `${r.code} ${r.field}`);

describe("§7 product validation", () => {
  it("accepts a product that meets every rule", async () => {
    expect(await validateProduct(product(), ctx)).toEqual([]);
  });

  it("5007: unknown catalog, a non-leaf catalog, or an interfaceCode that does not match", async () => {
    expect(await codesOf({ ...product(), detail: { ...product().detail, catalogId: "999" } })).toContain("5007 catalogId");
    expect(await codesOf({ ...product(), detail: { ...product().detail, catalogId: "100" } })).toContain("5007 catalogId");
    expect(await codesOf({ ...product(), detail: { ...product().detail, interfaceCode: "A02010108" } })).toContain("5007 interfaceCode");
  });

  it("5011 for a missing required parameter; 5012 for unknown ids, foreign values, mismatched text and non-numbers", async () => {
    const p = product();
    expect(await codesOf({ ...p, attributes: p.attributes.filter((a) => a.attributeID !== "101") })).toEqual(["5011 attributes.101"]);
    expect(await codesOf({ ...p, attributes: [...p.attributes, { attributeID: "999", attributeName: "x", valueID: "", value: "y" }] })).toEqual([
      "5012 attributes.999",
    ]);
    const swap = (i: number, change: object) => p.attributes.map((a, j) => (j === i ? { ...a, ...change } : a));
    expect(await codesOf({ ...p, attributes: swap(0, { valueID: "10299" }) })).toEqual(["5012 attributes.101"]);
    expect(await codesOf({ ...p, attributes: swap(0, { value: "AMD" }) })).toEqual(["5012 attributes.101"]);
    expect(await codesOf({ ...p, attributes: swap(3, { value: "八" }) })).toEqual(["5012 attributes.103"]);
    expect(await codesOf({ ...p, attributes: [...p.attributes, { attributeID: "101", attributeName: "CPU品牌", valueID: "10102", value: "海光" }] })).toEqual([
      "5012 attributes.101",
    ]);
  });

  it("5099 for an unknown brand; 5014 for a url off the registered domains; 5015 for image and certificate formats", async () => {
    const p = product();
    expect(await codesOf({ ...p, detail: { ...p.detail, brand_id: "B9999" } })).toEqual(["5099 brand_id"]);
    expect(await codesOf({ ...p, detail: { ...p.detail, url: "https://item.jd.com.evil.cn/1.html" } })).toEqual(["5014 url"]);
    expect(await codesOf({ ...p, detail: { ...p.detail, url: "ftp://item.jd.com/1.html" } })).toEqual(["5014 url"]);
    expect(await codesOf({ ...p, detail: { ...p.detail, url: "https://m.item.jd.com/1.html" } })).toEqual([]);
    expect(await codesOf({ ...p, detail: { ...p.detail, image_path: "https://img.jd.com/a.webp" } })).toEqual(["5015 image_path"]);
    expect(await codesOf({ ...p, images: { sku: "100001", images: [{ path: "https://img.jd.com/1.gif", order: 0 }] } })).toEqual(["5015 images.path"]);
    const cert = { promiseId: "P201", certNo: "1", certUrl: "https://img.jd.com/ccc.doc", validUntil: "2027-01-01" };
    expect(await codesOf({ ...p, promise: { sku: "100001", sevenDayReturn: 1, promises: [], certifications: [cert] } })).toEqual([
      "5015 certifications.certUrl",
    ]);
  });

  it("5015 for image and certificate URLs that are not http(s), whatever their extension", async () => {
    const p = product();
    for (const url of ["javascript:alert(1)//a.png", "data:image/png;base64,iVBORw0KGgo=.png", "file:///etc/a.jpg", "img.jd.com/a.jpg"]) {
      expect(await codesOf({ ...p, detail: { ...p.detail, image_path: url } })).toEqual(["5015 image_path"]);
      expect(await codesOf({ ...p, images: { sku: "100001", images: [{ path: url, order: 1 }] } })).toEqual(["5015 images.path"]);
    }
    const cert = { promiseId: "P201", certNo: "1", certUrl: "data:application/pdf;base64,JVBERi0=.pdf", validUntil: "2027-01-01" };
    expect(await codesOf({ ...p, promise: { sku: "100001", sevenDayReturn: 1, promises: [], certifications: [cert] } })).toEqual([
      "5015 certifications.certUrl",
    ]);
    expect(await codesOf({ ...p, detail: { ...p.detail, image_path: "HTTP://img.jd.com/A.JPG" } })).toEqual([]);
  });

  it("5099 协议价高于商城价, more than 2 decimals, or a price of 0", async () => {
    const p = product();
    const reasons = await validateProduct({ ...p, price: { sku: "100001", price: 5300, mall_price: 5299 } }, ctx);
    expect(reasons).toEqual([{ code: 5099, field: "price", message: expect.stringContaining("协议价高于商城价") }]);
    expect(await codesOf({ ...p, price: { sku: "100001", price: 49.999, mall_price: 5299 } })).toEqual(["5099 price"]);
    expect(await codesOf({ ...p, price: { sku: "100001", price: 0, mall_price: 5299 } })).toEqual(["5099 price"]);
  });

  it("5099 when a required promise, certification or the 7-day return is missing", async () => {
    const p = product();
    expect(await codesOf({ ...p, promise: { sku: "100001", sevenDayReturn: 1, promises: [], certifications: [] } })).toEqual(["5099 promises"]);
    expect(await codesOf({ ...p, promise: { ...(p.promise ?? { sku: "", promises: [], certifications: [], sevenDayReturn: 1 }), sevenDayReturn: 0 } })).toEqual(
      ["5099 sevenDayReturn"],
    );
  });

  it("names an absolute term found in the title or the description", async () => {
    const p = product();
    const reasons = await validateProduct({ ...p, detail: { ...p.detail, introduction: "<b>国家级</b>品质" } }, ctx);
    expect(reasons).toEqual([{ code: 5099, field: "introduction", message: "含违禁词「国家级」" }]);
  });

  it("records every failure, not only the first", async () => {
    const p = product();
    const many = { ...p, detail: { ...p.detail, brand_id: "B9", url: "http://x.cn/1", image_path: "a.bmp" }, price: { sku: "1", price: 10, mall_price: 9 } };
    expect(await codesOf(many)).toEqual(["5099 brand_id", "5014 url", "5015 image_path", "5099 price"]);
  });
});
