/** docs/route-table.md documents every field the schema has: a field added without docs fails here. */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { routeTableJsonSchema } from "../../src/config/json-schema.ts";

const docs = readFileSync(join(import.meta.dirname, "..", "..", "docs", "route-table.md"), "utf8");

function fieldNames(node: unknown, into = new Set<string>()): Set<string> {
  if (Array.isArray(node)) {
    for (const item of node) fieldNames(item, into);
  } else if (typeof node === "object" && node !== null) {
    const properties = (node as { properties?: Record<string, unknown> }).properties;
    if (properties) for (const name of Object.keys(properties)) into.add(name);
    for (const child of Object.values(node)) fieldNames(child, into);
  }
  return into;
}

it("names every field of the schema in backticks", () => {
  const missing = [...fieldNames(routeTableJsonSchema())].filter(
    (name) => !new RegExp(`\`[^\`]*\\b${name}\\b[^\`]*\``).test(docs),
  );
  expect(missing).toEqual([]);
});
