import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { describe, expect, it } from "vitest";

function markdownFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return markdownFiles(path);
    return name.endsWith(".md") ? [path] : [];
  });
}

/** The prose of a Markdown file: fenced code blocks blanked, so links and headings shown as code are not taken for real ones. */
function prose(text: string): string {
  let fenced = false;
  return text
    .split("\n")
    .map((line) => {
      if (/^\s*(```|~~~)/.test(line)) {
        fenced = !fenced;
        return "";
      }
      return fenced ? "" : line;
    })
    .join("\n");
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens; repeats get -1, -2 … */
function anchors(text: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const [, heading = ""] of prose(text).matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const plain = heading.replace(/\[([^\]]*)\]\([^)]*\)/g, "$1").replace(/`/g, "");
    const slug = plain
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\p{M}\s_-]/gu, "")
      .replace(/\s/g, "-");
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    out.add(n === 0 ? slug : `${slug}-${n}`);
  }
  return out;
}

/** Relative link targets in the prose: `[text](target)` and `![alt](target)`, inline code left out. */
function relativeLinks(text: string): string[] {
  const withoutCode = prose(text).replace(/`[^`\n]*`/g, "");
  return [...withoutCode.matchAll(/!?\[[^\]]*\]\(([^)\s]+)\)/g)].map((m) => m[1] ?? "").filter((target) => !/^[a-z][a-z0-9+.-]*:/i.test(target));
}

const files = ["README.md", ...markdownFiles("docs")];

describe("relative links in README.md and docs/", () => {
  it("finds the documents", () => {
    expect(files).toContain("docs/architecture.md");
    expect(files.length).toBeGreaterThan(10);
  });

  it.each(files)("%s links only to files and headings that exist", (file) => {
    const broken: string[] = [];
    for (const link of relativeLinks(readFileSync(file, "utf8"))) {
      const [path = "", fragment] = link.split("#");
      const target = path === "" ? file : join(dirname(file), decodeURIComponent(path));
      if (!existsSync(target)) {
        broken.push(`${link}: no ${relative(".", target)}`);
        continue;
      }
      if (fragment !== undefined && target.endsWith(".md") && !anchors(readFileSync(target, "utf8")).has(decodeURIComponent(fragment))) {
        broken.push(`${link}: no heading #${fragment} in ${relative(".", target)}`);
      }
    }
    expect(broken).toEqual([]);
  });
});
