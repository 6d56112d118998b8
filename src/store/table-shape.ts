/**
 * The Worker's check of a table's shape, without zod. The CLI validates and normalises every table
 * before `push` (`validateRouteTable`); what the Worker reads back has passed the content-hash check,
 * so it is what some writer meant to store. This check makes sure it is also a table this Worker
 * understands, field by field, before anything is compiled from it:
 *
 * - against `table-shape.json`, the JSON Schema of a *normalised* table generated from the zod schema
 *   (`normalisedTableJsonSchema`), so the two cannot drift (`test/store/table-shape.test.ts`);
 * - strictly: unknown fields and unknown variants are refused, so a table written by a newer CLI with a
 *   feature this Worker lacks (a new filter, a new auth field) is skipped rather than half-applied;
 * - with only the keywords zod emits. Any other keyword fails closed, and a test proves the committed
 *   shape uses none.
 *
 * Shapes only: references are `table-references.ts`; meaning (regular expressions, hostnames, shadowing…) is
 * the CLI's (docs/kv-layout.md, "Trust boundary").
 */
import { type FieldPath, formatPath } from "../config/problems.ts";
import shape from "./table-shape.json" with { type: "json" };

export interface JsonSchema {
  readonly [keyword: string]: unknown;
}

/** The first problem with a table's shape, as `path: reason`; undefined when it has the shape. */
export function tableShapeProblem(table: unknown): string | undefined {
  return shapeProblem(shape as JsonSchema, table);
}

/** The same check against any schema that uses only SUPPORTED_KEYWORDS. */
export function shapeProblem(schema: JsonSchema, value: unknown): string | undefined {
  const problem = check(schema, value, undefined);
  if (!problem) return undefined;
  const path = fieldPath(problem.path);
  return path.length > 0 ? `${formatPath(path)}: ${problem.reason}` : problem.reason;
}

/** Keywords that carry no constraint. */
const ANNOTATIONS = new Set(["$schema", "title", "description", "default"]);

/** Every keyword `check` enforces; anything else makes the schema unusable (fail closed). */
export const SUPPORTED_KEYWORDS: ReadonlySet<string> = new Set([
  "type",
  "const",
  "enum",
  "properties",
  "required",
  "additionalProperties",
  "propertyNames",
  "items",
  "minItems",
  "maxItems",
  "minLength",
  "maxLength",
  "pattern",
  "format",
  "minimum",
  "maximum",
  "exclusiveMinimum",
  "exclusiveMaximum",
  "anyOf",
  "oneOf",
  ...ANNOTATIONS,
]);

/**
 * Where a value sits, as a chain to the root: one small node per value on the way down, where an
 * array per value (each a copy of its parent's) cost a 10,000-route table's check hundreds of
 * milliseconds. Turned into a `FieldPath` only for the problem reported.
 */
interface PathNode {
  readonly parent: Path;
  readonly key: string | number;
  readonly depth: number;
}
type Path = PathNode | undefined;

function at(parent: Path, key: string | number): PathNode {
  return { parent, key, depth: (parent?.depth ?? 0) + 1 };
}

function fieldPath(path: Path): FieldPath {
  const keys: (string | number)[] = [];
  for (let node = path; node !== undefined; node = node.parent) keys.push(node.key);
  return keys.reverse();
}

interface Problem {
  path: Path;
  reason: string;
}

const patterns = new Map<string, RegExp>();
/** Schema nodes whose keywords were found supported: each is looked at once, not once per value. */
const supported = new WeakSet<JsonSchema>();

function check(schema: JsonSchema, value: unknown, path: Path): Problem | undefined {
  if (!supported.has(schema)) {
    for (const keyword of Object.keys(schema)) {
      if (!SUPPORTED_KEYWORDS.has(keyword)) return { path, reason: `the Worker cannot check "${keyword}"` };
    }
    supported.add(schema);
  }
  const fail = (reason: string): Problem => ({ path, reason });

  if (schema.type !== undefined) {
    if (typeof schema.type !== "string") return fail("the Worker cannot check a list of types");
    if (!hasType(value, schema.type)) return fail(`must be ${article(schema.type)}, not ${describe(value)}`);
  }
  if ("const" in schema && value !== schema.const) return fail(`must be ${JSON.stringify(schema.const)}`);
  if (Array.isArray(schema.enum) && !schema.enum.includes(value)) {
    return fail(`must be one of ${schema.enum.map((v) => JSON.stringify(v)).join(", ")}`);
  }
  if (Array.isArray(schema.anyOf)) {
    // The first branch that holds is enough; the problems are only needed when none does.
    const problems: Problem[] = [];
    for (const branch of schema.anyOf) {
      const problem = check(branch as JsonSchema, value, path);
      if (problem === undefined) break;
      problems.push(problem);
    }
    if (problems.length === schema.anyOf.length) return closest(problems, value, schema.anyOf);
  }
  if (Array.isArray(schema.oneOf)) {
    const problems = schema.oneOf.map((branch) => check(branch as JsonSchema, value, path));
    const matching = problems.filter((p) => p === undefined).length;
    if (matching === 0) return closest(problems as Problem[], value, schema.oneOf);
    if (matching > 1) return fail("matches more than one of the allowed forms");
  }
  if (typeof value === "string") return checkString(schema, value, path);
  if (typeof value === "number") return checkNumber(schema, value, path);
  if (Array.isArray(value)) return checkArray(schema, value, path);
  if (isObject(value)) return checkObject(schema, value, path);
  return undefined;
}

function checkString(schema: JsonSchema, value: string, path: Path): Problem | undefined {
  const fail = (reason: string): Problem => ({ path, reason });
  // Code points, as JSON Schema (and zod) count them.
  const length =
    typeof schema.minLength === "number" || typeof schema.maxLength === "number" ? codePoints(value) : 0;
  if (typeof schema.minLength === "number" && length < schema.minLength) {
    return fail(
      schema.minLength === 1 ? "must not be empty" : `must be at least ${schema.minLength} characters`,
    );
  }
  if (typeof schema.maxLength === "number" && length > schema.maxLength) {
    return fail(`must be at most ${schema.maxLength} characters`);
  }
  if (typeof schema.pattern === "string" && !compiled(schema.pattern).test(value)) {
    return fail(`must match ${schema.pattern}`);
  }
  if (schema.format !== undefined) {
    // `starts_with` is zod's annotation of a prefix that `pattern` already enforces.
    if (schema.format === "uri") {
      if (!URL.canParse(value)) return fail("is not a URL");
    } else if (schema.format !== "starts_with" || typeof schema.pattern !== "string") {
      return fail(`the Worker cannot check format "${String(schema.format)}"`);
    }
  }
  return undefined;
}

function checkNumber(schema: JsonSchema, value: number, path: Path): Problem | undefined {
  const fail = (reason: string): Problem => ({ path, reason });
  if (typeof schema.minimum === "number" && value < schema.minimum)
    return fail(`must be ≥ ${schema.minimum}`);
  if (typeof schema.maximum === "number" && value > schema.maximum)
    return fail(`must be ≤ ${schema.maximum}`);
  if (typeof schema.exclusiveMinimum === "number" && value <= schema.exclusiveMinimum) {
    return fail(`must be > ${schema.exclusiveMinimum}`);
  }
  if (typeof schema.exclusiveMaximum === "number" && value >= schema.exclusiveMaximum) {
    return fail(`must be < ${schema.exclusiveMaximum}`);
  }
  return undefined;
}

function checkArray(schema: JsonSchema, value: readonly unknown[], path: Path): Problem | undefined {
  const fail = (reason: string): Problem => ({ path, reason });
  if (typeof schema.minItems === "number" && value.length < schema.minItems) {
    return fail(`must have at least ${schema.minItems} item${schema.minItems === 1 ? "" : "s"}`);
  }
  if (typeof schema.maxItems === "number" && value.length > schema.maxItems) {
    return fail(`must have at most ${schema.maxItems} items`);
  }
  if (isObject(schema.items)) {
    for (const [i, item] of value.entries()) {
      const problem = check(schema.items, item, at(path, i));
      if (problem) return problem;
    }
  }
  return undefined;
}

function checkObject(schema: JsonSchema, value: Record<string, unknown>, path: Path): Problem | undefined {
  const properties = isObject(schema.properties) ? schema.properties : {};
  if (Array.isArray(schema.required)) {
    for (const key of schema.required as string[]) {
      if (!Object.hasOwn(value, key)) return { path: at(path, key), reason: "is missing" };
    }
  }
  for (const [key, item] of Object.entries(value)) {
    const itemPath = at(path, key);
    if (isObject(schema.propertyNames)) {
      const problem = check(schema.propertyNames, key, itemPath);
      if (problem) return { path: itemPath, reason: `is not an allowed name (${problem.reason})` };
    }
    const known = Object.hasOwn(properties, key) ? properties[key] : undefined;
    if (isObject(known)) {
      const problem = check(known, item, itemPath);
      if (problem) return problem;
    } else if (schema.additionalProperties === false) {
      return { path: itemPath, reason: "is not a field this Worker knows (published by a newer CLI?)" };
    } else if (isObject(schema.additionalProperties)) {
      const problem = check(schema.additionalProperties, item, itemPath);
      if (problem) return problem;
    }
  }
  return undefined;
}

/**
 * The problem to report when no branch of a union matches: the branch whose `type` discriminator the
 * value names (a filter of type "URLRewrite" is told what is wrong with its URLRewrite), else the one
 * that got deepest into the value.
 */
function closest(problems: Problem[], value: unknown, branches: unknown[]): Problem {
  if (isObject(value) && typeof value.type === "string") {
    const named = branches.findIndex((b) => {
      const type = isObject(b) && isObject(b.properties) ? b.properties.type : undefined;
      return isObject(type) && type.const === value.type;
    });
    if (named >= 0) return problems[named]!;
  }
  return problems.reduce((best, p) => ((p.path?.depth ?? 0) > (best.path?.depth ?? 0) ? p : best));
}

function hasType(value: unknown, type: string): boolean {
  switch (type) {
    case "object":
      return isObject(value);
    case "array":
      return Array.isArray(value);
    case "integer":
      return Number.isInteger(value);
    case "number":
      return typeof value === "number" && Number.isFinite(value);
    case "null":
      return value === null;
    default:
      return typeof value === type;
  }
}

const SURROGATE = /[\uD800-\uDFFF]/;

/** Code points in `value`: its length unless it holds a surrogate (a pair is one code point). */
function codePoints(value: string): number {
  return SURROGATE.test(value) ? [...value].length : value.length;
}

function compiled(pattern: string): RegExp {
  let regex = patterns.get(pattern);
  if (!regex) {
    regex = new RegExp(pattern);
    patterns.set(pattern, regex);
  }
  return regex;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "an object";
  return `${typeof value} ${JSON.stringify(value)}`.slice(0, 60);
}
