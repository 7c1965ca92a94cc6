import { describe, expect, it } from "vitest";
import { z } from "zod";
import { AdminError } from "../../src/admin/admin-errors.js";
import { errorText, fieldText, zhErrorMap } from "../../src/admin/console/console-messages.js";
import type { AdminUserRow } from "../../src/store/repos/admin-repo.js";

const latinWords = (text: string) => text.match(/\b[A-Za-z]{3,}\b/g) ?? [];

describe("console messages in zh-CN", () => {
  it("words every zod issue of a route schema in zh-CN under the console's error map", () => {
    const schema = z
      .object({
        password: z.string().min(12),
        role: z.enum(["admin", "auditor"]),
        n: z.number().int().max(5),
        items: z.array(z.string()).min(1),
        email: z.email(),
        missing: z.string(),
      })
      .strict();
    const parsed = schema.safeParse({ password: "short", role: "root", n: 9, items: [], email: "nope", extra: 1 }, { error: zhErrorMap });
    const messages = Object.fromEntries((parsed.error?.issues ?? []).map((i) => [i.path.join(".") || "(object)", i.message]));
    expect(messages).toEqual({
      password: "至少 12 个字符",
      role: "取值不在可选范围内，请从列表中选择",
      n: "不能大于 5",
      items: "至少填写一项",
      email: "电子邮件格式不对",
      missing: "必填",
      "(object)": "不认识的字段：extra",
    });
  });

  it("renders the domain's English field messages, naming the value they are about", () => {
    expect(fieldText("required")).toBe("必填");
    expect(fieldText("at least 12 characters")).toBe("至少 12 个字符");
    expect(fieldText("100001 is off shelf (已下架)")).toBe("100001 已下架");
    expect(fieldText("3 wanted, 1 available in 120101 (库存不足)")).toBe("库存不足：需要 3，地区 120101 可售 1");
    expect(fieldText("Too small: expected string to have >=1 characters")).toBe("不能为空");
    expect(fieldText("缺少必填参数 主材")).toBe("缺少必填参数 主材");
    // Unknown English never reaches a person as English.
    expect(fieldText("some new rule nobody translated")).toBe("输入有误");
  });

  it("renders whole errors by code, with the ids they name; unknown English falls back to the code's sentence", () => {
    const admin = { role: "procurement" } as AdminUserRow;
    expect(errorText(new AdminError("not_found", "no order TJ0001"))).toBe("订单 TJ0001 不存在。");
    expect(errorText(new AdminError("conflict", "100001 is applied; apply needs none or refused"))).toBe(
      "商品 100001 的上架申请当前为「待审核」，不能申请上架。",
    );
    expect(errorText(new AdminError("forbidden", "role procurement may not POST /admin/api/users"), admin)).toBe(
      "您的角色（采购人员）无权执行此操作或查看此页面。",
    );
    for (const code of ["not_found", "conflict", "supplier_unavailable", "invalid_input"] as const) {
      const text = errorText(new AdminError(code, "an English sentence the table does not know"));
      expect(latinWords(text), code).toEqual([]);
      expect(text).toMatch(/[\u4e00-\u9fff]/);
    }
  });
});

describe("audit actions in zh-CN", () => {
  it("names every action the admin API and the CLI record", async () => {
    const { adminRoutes } = await import("../../src/admin/api/route-table.js");
    const { LABELS } = await import("../../src/admin/console/labels.js");
    const { readFileSync, readdirSync } = await import("node:fs");
    const recorded = new Set<string>(adminRoutes.flatMap((r) => (typeof r.audit === "string" ? [r.audit] : [])));
    // The CLI's commands and the few records made outside a route name their action as a literal.
    const sources = ["src/cli/commands", "src/admin"].flatMap((dir) =>
      readdirSync(dir, { recursive: true, encoding: "utf8" })
        .filter((f) => f.endsWith(".ts"))
        .map((f) => `${dir}/${f}`),
    );
    for (const file of sources) for (const m of readFileSync(file, "utf8").matchAll(/\b(?:audit|action): "([a-z_]+\.[a-z_.]+)"/g)) recorded.add(m[1] ?? "");
    expect(recorded.size).toBeGreaterThan(25);
    const names = LABELS.auditAction as Record<string, string>;
    expect([...recorded].filter((action) => !names[action])).toEqual([]);
  });
});

describe("field labels of the console's error pages", () => {
  it("names every path and query parameter of every admin route in zh-CN (a bad id or cursor names its field, not params.id)", async () => {
    const { adminRoutes } = await import("../../src/admin/api/route-table.js");
    const { FIELD_LABELS } = await import("../../src/admin/console/console-messages.js");
    const unnamed = new Set<string>();
    for (const route of adminRoutes) {
      for (const schema of [route.params, route.query]) {
        const shape = (schema as { shape?: Record<string, unknown> } | undefined)?.shape;
        for (const key of Object.keys(shape ?? {})) if (!FIELD_LABELS[key]) unnamed.add(`${route.method} ${route.path}: ${key}`);
      }
    }
    expect([...unnamed]).toEqual([]);
  });
});
