/**
 * The Worker's zod-free shape check (`src/store/table-shape.ts`) against the zod schema it stands in for:
 * the committed JSON Schema is the one zod generates, the checker enforces every keyword in it, and on
 * normalised tables and every one-field damage to them, the checker and zod agree.
 *
 * Regenerate the committed shape after a schema change:
 *   UPDATE_TABLE_SHAPE=1 npx vitest run test/store/table-shape.test.ts
 */
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseRouteTableText } from "../../src/config/parse.ts";
import { normalisedTableJsonSchema, type RouteTable, RouteTableSchema } from "../../src/config/schema.ts";
import { validateRouteTable } from "../../src/config/validate.ts";
import {
  type JsonSchema,
  SUPPORTED_KEYWORDS,
  shapeProblem,
  tableShapeProblem,
} from "../../src/store/table-shape.ts";

const root = join(import.meta.dirname, "..", "..");
const SHAPE_FILE = join(root, "src", "store", "table-shape.json");

/** Every valid table the repository ships, normalised as `push` stores them. */
function storedTables(): { name: string; table: RouteTable }[] {
  const files = [
    join(root, "examples", "routes.yaml"),
    ...readdirSync(join(root, "test", "fixtures", "valid"))
      .filter((f) => /\.(ya?ml|json)$/.test(f))
      .map((f) => join(root, "test", "fixtures", "valid", f)),
  ];
  return files.map((file) => {
    const result = validateRouteTable(parseRouteTableText(readFileSync(file, "utf8")));
    if (!result.ok) throw new Error(`${file} does not validate`);
    return { name: file.slice(root.length + 1), table: result.table };
  });
}

describe("the committed table shape", () => {
  it("is the JSON Schema zod generates for a normalised table", () => {
    const fresh = normalisedTableJsonSchema();
    if (process.env.UPDATE_TABLE_SHAPE) {
      writeFileSync(SHAPE_FILE, `${JSON.stringify(fresh, null, 2)}\n`);
      spawnSync(process.execPath, [
        join(root, "node_modules", "@biomejs", "biome", "bin", "biome"),
        "format",
        "--write",
        SHAPE_FILE,
      ]);
    }
    const committed = JSON.parse(readFileSync(SHAPE_FILE, "utf8"));
    expect(committed, "src/store/table-shape.json is stale: see this file's header").toEqual(fresh);
  });

  it("uses only keywords and formats the Worker's checker enforces", () => {
    const unsupported = new Set<string>();
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) {
        for (const item of node) walk(item);
        return;
      }
      if (typeof node !== "object" || node === null) return;
      for (const [keyword, value] of Object.entries(node)) {
        if (!SUPPORTED_KEYWORDS.has(keyword)) unsupported.add(keyword);
        if (keyword === "format" && value !== "uri" && value !== "starts_with")
          unsupported.add(`format ${value}`);
        if (keyword === "properties") Object.values(value as object).forEach(walk);
        else if (keyword !== "const" && keyword !== "enum" && keyword !== "default") walk(value);
      }
    };
    walk(JSON.parse(readFileSync(SHAPE_FILE, "utf8")));
    expect([...unsupported]).toEqual([]);
  });
});

describe("tableShapeProblem", () => {
  const tables = storedTables();

  it("accepts every table push would store", () => {
    expect(tables.length).toBeGreaterThan(2);
    for (const { name, table } of tables) expect(tableShapeProblem(table), name).toBeUndefined();
  });

  it("agrees with zod on every one-field damage to a stored table", () => {
    let compared = 0;
    for (const { name, table } of tables) {
      for (const { where, damaged } of oneFieldDamages(table)) {
        const zodAccepts = RouteTableSchema.safeParse(damaged).success;
        const problem = tableShapeProblem(damaged);
        expect(
          problem === undefined,
          `${name} ${where}: zod ${zodAccepts ? "accepts" : "refuses"}, shape says ${problem}`,
        ).toBe(zodAccepts);
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(200);
  });

  it("requires the fields that validation fills with defaults", () => {
    const table = structuredClone(tables[0]!.table) as unknown as {
      clusters: Record<string, { transport?: unknown }>;
    };
    const [name, cluster] = Object.entries(table.clusters)[0]!;
    delete cluster.transport;
    expect(tableShapeProblem(table)).toBe(`clusters.${name}.transport: is missing`);
  });

  it("names the field and what is wrong with it", () => {
    const base = { version: 1, providers: {}, clusters: {}, routes: [] as unknown[] };
    const rule = { backendRefs: [] };
    expect(tableShapeProblem([])).toBe("must be an object, not a list");
    expect(tableShapeProblem({ ...base, version: 2 })).toBe("version: must be 1");
    expect(tableShapeProblem({ ...base, routes: [{ id: "a", hostnames: "a.test", rules: [rule] }] })).toBe(
      'routes[0].hostnames: must be an array, not string "a.test"',
    );
    expect(tableShapeProblem({ ...base, routes: [{ id: "a", rules: [] }] })).toBe(
      "routes[0].rules: must have at least 1 item",
    );
    expect(tableShapeProblem({ ...base, routes: [{ id: "a", rules: [rule], mirror: true }] })).toBe(
      "routes[0].mirror: is not a field this Worker knows (published by a newer CLI?)",
    );
    expect(tableShapeProblem({ ...base, clusters: { "bad name!": {} } })).toMatch(
      /^clusters\["bad name!"\]: is not an allowed name \(must match /,
    );
  });

  it("knows the path readings by name, in the table and per cluster, and refuses any other name", () => {
    const table = {
      version: 1,
      paths: { allowEncodedSlashes: false, readings: { caseInsensitive: false } },
      providers: {},
      clusters: {
        app: {
          endpoints: [{ url: "http://127.0.0.1:9001", weight: 1 }],
          transport: { type: "direct" },
          loadBalancer: { type: "RoundRobin" },
          pathReadings: { semicolonParameters: false, doubleDecoding: true },
        },
      },
      routes: [],
    };
    expect(tableShapeProblem(table)).toBeUndefined();
    const misspelt = structuredClone(table);
    (misspelt.clusters.app.pathReadings as Record<string, boolean>).semicolons = false;
    expect(tableShapeProblem(misspelt)).toMatch(/^clusters\.app\.pathReadings\.semicolons: /);
  });

  it("reports a union by the branch its type names, and refuses unknown variants", () => {
    const base = { version: 1, providers: {}, clusters: {} };
    const withFilter = (filter: unknown) => ({
      ...base,
      routes: [{ id: "a", rules: [{ filters: [filter] }] }],
    });
    expect(tableShapeProblem(withFilter({ type: "URLRewrite", urlRewrite: { hostname: 7 } }))).toBe(
      "routes[0].rules[0].filters[0].urlRewrite.hostname: must be a string, not number 7",
    );
    expect(tableShapeProblem(withFilter({ type: "ExtAuth", extAuth: {} }))).toMatch(
      /^routes\[0\]\.rules\[0\]\.filters\[0\]/,
    );
  });

  it("fails closed on a keyword or format it cannot check", () => {
    expect(shapeProblem({ type: "string", contentEncoding: "base64" }, "x")).toBe(
      'the Worker cannot check "contentEncoding"',
    );
    expect(shapeProblem({ type: "string", format: "email" }, "x")).toBe(
      'the Worker cannot check format "email"',
    );
    expect(shapeProblem({ type: ["string", "null"] } as JsonSchema, "x")).toBe(
      "the Worker cannot check a list of types",
    );
    expect(shapeProblem({ type: "string", format: "uri" }, "not a url")).toBe("is not a URL");
  });
});

/**
 * Copies of `table` with one thing changed: each scalar replaced by one of another JSON type or by one
 * out of the usual bounds (empty, with a newline, negative, fractional, huge), a list in place of each
 * object and an object in place of each list, and an unknown field in each object.
 */
function* oneFieldDamages(table: RouteTable): Generator<{ where: string; damaged: unknown }> {
  const paths: (string | number)[][] = [];
  const walk = (node: unknown, path: (string | number)[]) => {
    paths.push(path);
    if (Array.isArray(node)) {
      for (const [i, item] of node.entries()) walk(item, [...path, i]);
    } else if (typeof node === "object" && node !== null)
      for (const [k, v] of Object.entries(node)) walk(v, [...path, k]);
  };
  walk(table, []);
  for (const path of paths) {
    const value = path.reduce<unknown>((node, key) => (node as Record<string | number, unknown>)[key], table);
    const replacements: unknown[] =
      typeof value === "string"
        ? [42, "", " not\nvalid! "]
        : typeof value === "number"
          ? ["42", true, -1, 0.5, 1e9]
          : typeof value === "boolean"
            ? ["yes"]
            : Array.isArray(value)
              ? [{}]
              : [[]];
    for (const replacement of path.length > 0 ? replacements : []) {
      yield {
        where: `${path.join(".")} = ${JSON.stringify(replacement)}`,
        damaged: replaced(table, path, replacement),
      };
    }
    if (typeof value === "object" && value !== null && !Array.isArray(value)) {
      const extended = { ...(value as object), unexpectedField: true };
      yield { where: `${path.join(".")}.unexpectedField`, damaged: replaced(table, path, extended) };
    }
  }
}

function replaced(table: RouteTable, path: (string | number)[], value: unknown): unknown {
  if (path.length === 0) return value;
  const copy = structuredClone(table) as unknown as Record<string | number, unknown>;
  const parent = path
    .slice(0, -1)
    .reduce<Record<string | number, unknown>>(
      (node, key) => node[key] as Record<string | number, unknown>,
      copy,
    );
  parent[path.at(-1)!] = value;
  return copy;
}
