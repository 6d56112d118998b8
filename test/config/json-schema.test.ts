/**
 * The exported JSON Schema (schema/route-table.schema.json): fresh, standard enough for editors, and
 * agreeing with `gatehouse validate` on shapes.
 *
 * The schema is checked here with a small evaluator of exactly the draft-07 keywords the export uses
 * (a test fails if it starts using another), rather than a JSON Schema library: the point is to catch a
 * schema that refuses good tables or accepts nonsense, not to certify a validator.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { renderJsonSchema, SCHEMA_FILE } from "../../scripts/export-json-schema.ts";
import { routeTableJsonSchema } from "../../src/config/json-schema.ts";
import { parseRouteTableText } from "../../src/config/parse.ts";

type Schema = { [keyword: string]: unknown };

const ROOT = join(import.meta.dirname, "..", "..");
const committed = readFileSync(SCHEMA_FILE, "utf8");
const schema = JSON.parse(committed) as Schema;

function table(path: string): unknown {
  return parseRouteTableText(readFileSync(join(ROOT, path), "utf8"));
}

describe("schema/route-table.schema.json", () => {
  it("is what `npm run schema:export` writes (run it after changing src/config/schema.ts)", () => {
    expect(committed).toBe(renderJsonSchema());
  });

  it("is draft-07 with a title, and describes the top-level fields for editor hovers", () => {
    expect(schema.$schema).toBe("http://json-schema.org/draft-07/schema#");
    expect(schema.title).toBe("Gatehouse route table");
    const properties = schema.properties as Record<string, Schema>;
    for (const field of ["version", "tls", "providers", "clusters", "routes"]) {
      expect(properties[field]?.description, field).toBeTypeOf("string");
    }
    expect(schema.required).toEqual(["version", "routes"]);
  });

  it("uses only keywords and formats that editors understand", () => {
    const seen = new Set<string>();
    const formats = new Set<unknown>();
    walk(schema, (node) => {
      for (const keyword of Object.keys(node)) seen.add(keyword);
      if ("format" in node) formats.add(node.format);
    });
    expect([...seen].filter((keyword) => !KNOWN_KEYWORDS.has(keyword))).toEqual([]);
    expect([...formats]).toEqual(["uri"]);
  });

  it("has patterns that compile in Unicode mode (as editors compile them)", () => {
    walk(schema, (node) => {
      if (typeof node.pattern === "string")
        expect(() => new RegExp(node.pattern as string, "u")).not.toThrow();
    });
  });

  it("refuses to describe a field the zod schema does not have", () => {
    // Generation checks its description table against the schema; this is that check passing.
    expect(() => routeTableJsonSchema()).not.toThrow();
  });
});

describe("the JSON Schema agrees with validate on shapes", () => {
  const valid = readdirSync(join(ROOT, "test/fixtures/valid"))
    .filter((file) => /\.(ya?ml|json)$/.test(file))
    .map((file) => `test/fixtures/valid/${file}`);

  it.each(["examples/routes.yaml", ...valid])("accepts %s", (path) => {
    expect(check(schema, table(path))).toEqual([]);
  });

  it.each([
    ["a list instead of a table", [{ version: 1 }], [": must be object"]],
    ["no version, no routes", {}, [": missing version", ": missing routes"]],
    ["version 2", { version: 2, routes: [] }, ["/version: must be 1"]],
    ["an unknown top-level field", { version: 1, routes: [], route: [] }, [": unknown field route"]],
    [
      "a route without rules and a misspelt field",
      { version: 1, routes: [{ id: "a", rules: [], hostname: ["x"] }] },
      ["/routes/0/rules: fewer than 1 items", "/routes/0: unknown field hostname"],
    ],
    [
      "a negative weight and an unknown path type",
      {
        version: 1,
        clusters: { app: { endpoints: [{ url: "http://127.0.0.1:1", weight: -1 }] } },
        routes: [{ id: "a", rules: [{ matches: [{ path: { type: "Prefix", value: "/" } }] }] }],
      },
      [
        "/clusters/app/endpoints/0/weight: below minimum 0",
        "/routes/0/rules/0/matches/0/path/type: not one of the allowed values",
      ],
    ],
    [
      "a malformed duration and a cluster name with a space",
      {
        version: 1,
        clusters: { "bad name": { endpoints: [{ url: "http://127.0.0.1:1" }] } },
        routes: [{ id: "a", rules: [{ timeouts: { request: "30 seconds" } }] }],
      },
      [
        "/clusters: key bad name: does not match pattern",
        "/routes/0/rules/0/timeouts/request: does not match pattern",
      ],
    ],
    [
      "a filter of an unknown type",
      { version: 1, routes: [{ id: "a", rules: [{ filters: [{ type: "Rewrite" }] }] }] },
      ["/routes/0/rules/0/filters/0: matches 0 of oneOf"],
    ],
  ])("rejects %s", (_, input, problems) => {
    expect(check(schema, input)).toEqual(problems);
  });

  it.each(["shapes", "durations-and-weights", "headers"])(
    "rejects test/fixtures/invalid/%s.invalid.yaml, which validate refuses for its shapes",
    (name) => {
      expect(check(schema, table(`test/fixtures/invalid/${name}.invalid.yaml`))).not.toEqual([]);
    },
  );
});

// ---------------------------------------------------------------------------------------------------
// A minimal draft-07 evaluator for the keywords the export uses.

const KNOWN_KEYWORDS = new Set([
  "$schema",
  "title",
  "description",
  "default",
  "type",
  "properties",
  "required",
  "maxItems",
  "additionalProperties",
  "propertyNames",
  "items",
  "minItems",
  "const",
  "enum",
  "anyOf",
  "oneOf",
  "minimum",
  "maximum",
  "exclusiveMinimum",
  "minLength",
  "maxLength",
  "pattern",
  "format",
]);

function walk(node: unknown, visit: (schema: Schema) => void): void {
  if (Array.isArray(node)) {
    for (const item of node) walk(item, visit);
    return;
  }
  if (typeof node !== "object" || node === null) return;
  visit(node as Schema);
  for (const [keyword, child] of Object.entries(node)) {
    if (keyword === "properties")
      for (const property of Object.values(child as Schema)) walk(property, visit);
    else if (keyword !== "const" && keyword !== "enum" && keyword !== "default") walk(child, visit);
  }
}

function typeOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value;
}

function hasType(value: unknown, type: string): boolean {
  const actual = typeOf(value);
  return actual === type || (type === "number" && actual === "integer");
}

/** Problems as `/json/pointer: what`, empty when `value` is valid. */
function check(node: Schema, value: unknown, at = ""): string[] {
  const problems: string[] = [];
  const fail = (what: string) => problems.push(`${at}: ${what}`);
  if (typeof node.type === "string" && !hasType(value, node.type)) {
    fail(`must be ${node.type}`);
    return problems;
  }
  if ("const" in node && value !== node.const) fail(`must be ${JSON.stringify(node.const)}`);
  if (Array.isArray(node.enum) && !node.enum.includes(value)) fail("not one of the allowed values");
  if (Array.isArray(node.anyOf) && !node.anyOf.some((branch) => check(branch, value, at).length === 0)) {
    fail("matches no branch of anyOf");
  }
  if (Array.isArray(node.oneOf)) {
    const matching = node.oneOf.filter((branch) => check(branch, value, at).length === 0).length;
    if (matching !== 1) fail(`matches ${matching} of oneOf`);
  }
  if (typeof value === "number") {
    if (typeof node.minimum === "number" && value < node.minimum) fail(`below minimum ${node.minimum}`);
    if (typeof node.maximum === "number" && value > node.maximum) fail(`above maximum ${node.maximum}`);
    if (typeof node.exclusiveMinimum === "number" && value <= node.exclusiveMinimum) fail("too small");
  }
  if (typeof value === "string") problems.push(...checkString(node, value, at));
  if (Array.isArray(value)) {
    if (typeof node.minItems === "number" && value.length < node.minItems) {
      fail(`fewer than ${node.minItems} items`);
    }
    if (typeof node.items === "object" && node.items !== null) {
      value.forEach((item, index) => {
        problems.push(...check(node.items as Schema, item, `${at}/${index}`));
      });
    }
  }
  if (typeOf(value) === "object") problems.push(...checkObject(node, value as Record<string, unknown>, at));
  return problems;
}

function checkString(node: Schema, value: string, at: string): string[] {
  const problems: string[] = [];
  if (typeof node.minLength === "number" && value.length < node.minLength) problems.push(`${at}: too short`);
  if (typeof node.maxLength === "number" && value.length > node.maxLength) problems.push(`${at}: too long`);
  if (typeof node.pattern === "string" && !new RegExp(node.pattern, "u").test(value)) {
    problems.push(`${at}: does not match pattern`);
  }
  if (node.format === "uri" && !URL.canParse(value)) problems.push(`${at}: not a URI`);
  return problems;
}

function checkObject(node: Schema, value: Record<string, unknown>, at: string): string[] {
  const problems: string[] = [];
  const properties = (node.properties ?? {}) as Record<string, Schema>;
  for (const key of (node.required ?? []) as string[]) {
    if (!(key in value)) problems.push(`${at}: missing ${key}`);
  }
  for (const [key, child] of Object.entries(value)) {
    if (node.propertyNames) {
      for (const problem of check(node.propertyNames as Schema, key, at)) {
        problems.push(problem.replace(`${at}: `, `${at}: key ${key}: `));
      }
    }
    if (key in properties) problems.push(...check(properties[key]!, child, `${at}/${key}`));
    else if (node.additionalProperties === false) problems.push(`${at}: unknown field ${key}`);
    else if (typeof node.additionalProperties === "object") {
      problems.push(...check(node.additionalProperties as Schema, child, `${at}/${key}`));
    }
  }
  return problems;
}
