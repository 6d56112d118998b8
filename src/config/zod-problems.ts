/**
 * Zod issues → `Problem`s an operator can act on: `routes[2].rules[0].name` style paths and short
 * reasons ("required", "must be one of Exact, PathPrefix, RegularExpression",
 * `unknown field "hostname" (did you mean "hostnames"?)`).
 *
 * Two layers: `readableMessage` is passed to zod as the parse-time error map (zod prefers the schema's own
 * messages, e.g. "is not a duration", over it), and `issuesToProblems` reshapes what a map cannot: one
 * problem per unknown key, unions, record keys, and quoting the offending value in front of "is not …".
 */
import type { z } from "zod";
import { type FieldPath, formatPath, type PathSegment, type Problem, quote } from "./problems.ts";
import { closest } from "./suggest.ts";
import { def, resolve } from "./zod-walk.ts";

type Issue = z.core.$ZodIssue;
type RawIssue = z.core.$ZodRawIssue;

/** `readableMessage`'s reason where it has no better one; any other message on a union is the schema's own. */
const GENERIC_MESSAGE = "is not valid";

/** The error map: a readable reason for every issue zod raises without a schema-given message. */
export function readableMessage(issue: RawIssue): string {
  switch (issue.code) {
    case "invalid_type":
      if (issue.input === undefined) return "required";
      return `must be ${expectedKind(issue.expected)}, not ${kindOf(issue.input)}`;
    case "invalid_value":
      if (issue.input === undefined) return "required";
      // `minVersion: 1.2` is a number in YAML; the field wants the text "1.2".
      if (typeof issue.input === "number" && issue.values.includes(String(issue.input))) {
        return `must be the string "${issue.input}" (quote it: YAML reads ${issue.input} as a number)`;
      }
      return issue.values.length === 1
        ? `must be ${literal(issue.values[0])}`
        : `must be one of ${issue.values.map(literal).join(", ")}`;
    case "too_small":
      return tooSmall(issue.origin, Number(issue.minimum), issue.inclusive !== false);
    case "too_big":
      return tooBig(issue.origin, Number(issue.maximum), issue.inclusive !== false);
    case "invalid_format":
      if (issue.format === "starts_with") return `must start with ${quote(String(issue.prefix))}`;
      if (issue.format === "url") return "must be a URL";
      return "has an invalid format";
    case "not_multiple_of":
      return `must be a multiple of ${issue.divisor}`;
    case "unrecognized_keys":
      return `unknown field ${issue.keys.map(quote).join(", ")}`;
    case "invalid_key":
      return "is not a valid key";
    default:
      return GENERIC_MESSAGE;
  }
}

/**
 * Turn zod's issues into problems. `schema` and `input` are the root the issues' paths start from: they
 * are walked to suggest the field an unknown key was probably meant to be.
 */
export function issuesToProblems(issues: readonly Issue[], schema: z.ZodType, input: unknown): Problem[] {
  const problems: Problem[] = [];
  for (const issue of issues) collect(issue, [], schema, input, problems);
  return problems;
}

function collect(issue: Issue, prefix: FieldPath, root: z.ZodType, input: unknown, out: Problem[]): void {
  const path = [...prefix, ...(issue.path as PathSegment[])];
  const push = (at: FieldPath, message: string) => out.push({ path: formatPath(at), message });

  switch (issue.code) {
    case "unrecognized_keys": {
      const known = knownKeys(root, input, path);
      for (const key of issue.keys) {
        const suggestion = closest(key, known);
        push(path, `unknown field ${quote(key)}${suggestion ? ` (did you mean ${quote(suggestion)}?)` : ""}`);
      }
      return;
    }
    case "invalid_key": {
      // The key itself is wrong (a cluster named "bad name"): point at it and say why.
      const reasons = issue.issues.map((inner) => inner.message);
      push(path, `name ${reasons.join("; ")}`);
      return;
    }
    case "invalid_union": {
      // zod sets `note` and `options` on a discriminated union's miss; its types do not list them all.
      const miss = issue as typeof issue & { note?: string; options?: unknown[] };
      if (miss.note === "No matching discriminator") {
        const options = (miss.options ?? []).map(literal).join(", ");
        const given =
          isRecord(issue.input) && issue.discriminator ? issue.input[issue.discriminator] : undefined;
        push(path, given === undefined ? `required (one of ${options})` : `must be one of ${options}`);
        return;
      }
      collectUnion(issue, path, root, input, out);
      return;
    }
    default: {
      push(path, withValue(issue));
    }
  }
}

/**
 * A plain union failed. When every branch failed at its root on the value's kind or literal (`hsts: 5`
 * against `mapping | false`), say what the value may be; otherwise the value picked a branch by its kind
 * (an object for `hsts`), so report that branch's own problems.
 */
function collectUnion(
  issue: Extract<Issue, { code: "invalid_union" }>,
  path: FieldPath,
  root: z.ZodType,
  input: unknown,
  out: Problem[],
): void {
  const branches = issue.errors;
  const rootKindFailure = (branch: Issue[]) =>
    branch.length === 1 &&
    branch[0]!.path.length === 0 &&
    (branch[0]!.code === "invalid_type" || branch[0]!.code === "invalid_value");
  const deeper = branches.filter((branch) => !rootKindFailure(branch));
  if (deeper.length === 0) {
    const alternatives = branches.flatMap((branch) => {
      const first = branch[0]!;
      if (first.code === "invalid_value") return first.values.map(literal);
      if (first.code === "invalid_type") return [expectedKind(first.expected)];
      return [];
    });
    const message =
      issue.input === undefined
        ? "required"
        : issue.message !== GENERIC_MESSAGE
          ? issue.message // the schema says it better than a list of kinds would
          : alternatives.length > 2
            ? `must be one of ${alternatives.join(", ")}`
            : `must be ${alternatives.join(" or ")}`;
    out.push({ path: formatPath(path), message });
    return;
  }
  const best = deeper.reduce((a, b) => (b.length < a.length ? b : a));
  for (const inner of best) collect(inner, path, root, input, out);
}

/** The issue's message, with the offending string quoted in front of "is not …"/"has …" reasons. */
function withValue(issue: Issue): string {
  const input = (issue as { input?: unknown }).input;
  if (typeof input === "string" && /^(is|has) /.test(issue.message) && input.length <= 200) {
    return `${quote(input)} ${issue.message}`;
  }
  return issue.message;
}

// ---------------------------------------------------------------------------------------------------
// Walking the schema alongside the input, to know which keys an object accepts.

function knownKeys(root: z.ZodType, input: unknown, path: FieldPath): string[] {
  let schema: z.ZodType | undefined = root;
  let value = input;
  for (const segment of path) {
    schema = schema && resolve(schema, value);
    if (!schema) return [];
    const d = def(schema);
    if (d.type === "object" && typeof segment === "string") schema = d.shape?.[segment];
    else if (d.type === "array") schema = d.element;
    else if (d.type === "record") schema = d.valueType;
    else return [];
    value =
      isRecord(value) || Array.isArray(value) ? (value as Record<PathSegment, unknown>)[segment] : undefined;
  }
  schema = schema && resolve(schema, value);
  return schema && def(schema).type === "object" ? Object.keys(def(schema).shape ?? {}) : [];
}

// ---------------------------------------------------------------------------------------------------
// Wording

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Route tables are mostly YAML: say "mapping" and "list", not "object" and "array". */
function expectedKind(expected: string): string {
  switch (expected) {
    case "object":
      return "a mapping";
    case "array":
      return "a list";
    case "int":
      return "a whole number";
    case "number":
      return "a number";
    case "string":
      return "a string";
    case "boolean":
      return "true or false";
    default:
      return expected;
  }
}

function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "number") return Number.isInteger(value) ? "a number" : `${value}`;
  if (typeof value === "object") return "a mapping";
  if (typeof value === "boolean") return String(value);
  return `a ${typeof value}`;
}

function literal(value: unknown): string {
  return typeof value === "string" ? value : String(value);
}

function tooSmall(origin: string, minimum: number, inclusive: boolean): string {
  if (origin === "array" || origin === "set") {
    return minimum <= 1 ? "must not be empty" : `must have at least ${minimum} items`;
  }
  if (origin === "string")
    return minimum <= 1 ? "must not be empty" : `must be at least ${minimum} characters`;
  return inclusive ? `must be at least ${minimum}` : `must be greater than ${minimum}`;
}

function tooBig(origin: string, maximum: number, inclusive: boolean): string {
  if (origin === "array" || origin === "set") return `must have at most ${maximum} items`;
  if (origin === "string") return `must be at most ${maximum} characters`;
  return inclusive ? `must be at most ${maximum}` : `must be less than ${maximum}`;
}
