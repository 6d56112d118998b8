/** The words validation uses for shape problems: readable reasons, YAML vocabulary, paths that point. */
import { describe, expect, it } from "vitest";
import { RouteTableSchema } from "../../src/config/schema.ts";
import { formatProblem } from "../../src/config/validate.ts";
import { issuesToProblems, readableMessage } from "../../src/config/zod-problems.ts";

function shapeProblems(input: unknown): string[] {
  const parsed = RouteTableSchema.safeParse(input, { error: readableMessage, reportInput: true });
  if (parsed.success) return [];
  return issuesToProblems(parsed.error.issues, RouteTableSchema, input).map(formatProblem);
}

const app = { endpoints: [{ url: "http://127.0.0.1:9001" }] };
const withRule = (rule: unknown) => ({ version: 1, clusters: { app }, routes: [{ id: "r", rules: [rule] }] });

describe("shape problems", () => {
  it("says mapping and list, as YAML does", () => {
    expect(shapeProblems([])).toEqual(["must be a mapping, not a list"]);
    expect(shapeProblems({ version: 1, routes: {} })).toEqual(["routes: must be a list, not a mapping"]);
  });

  it("says required for a missing field, with the path to it", () => {
    expect(shapeProblems({ version: 1, routes: [{ rules: [{}] }] })).toEqual(["routes[0].id: required"]);
  });

  it("lists the allowed values of an enum", () => {
    expect(shapeProblems(withRule({ matches: [{ path: { type: "Prefix" } }] }))).toEqual([
      "routes[0].rules[0].matches[0].path.type: must be one of Exact, PathPrefix, RegularExpression",
    ]);
  });

  it("suggests the field an unknown key was probably meant to be", () => {
    expect(shapeProblems(withRule({ backendRef: [{ name: "app" }] }))).toEqual([
      'routes[0].rules[0]: unknown field "backendRef" (did you mean "backendRefs"?)',
    ]);
    expect(shapeProblems(withRule({ zzz: 1 }))).toEqual(['routes[0].rules[0]: unknown field "zzz"']);
  });

  it("quotes the offending value in front of an is-not reason", () => {
    expect(shapeProblems(withRule({ matches: [{ method: "FETCH" }] }))).toEqual([
      'routes[0].rules[0].matches[0].method: "FETCH" is not an HTTP method',
    ]);
  });

  it("names a discriminated union's choices, and the branch's own problems once chosen", () => {
    expect(shapeProblems(withRule({ filters: [{}] }))).toEqual([
      "routes[0].rules[0].filters[0].type: required (one of RequestHeaderModifier, ResponseHeaderModifier, URLRewrite, RequestRedirect, RequestMirror, CORS)",
    ]);
    expect(shapeProblems(withRule({ filters: [{ type: "URLRewrite" }] }))).toEqual([
      "routes[0].rules[0].filters[0].urlRewrite: required",
    ]);
  });

  it("says what a plain union accepts when the value is of neither kind", () => {
    expect(shapeProblems({ version: 1, tls: { hsts: "yes" }, routes: [] })).toEqual([
      "tls.hsts: must be a mapping or false",
    ]);
  });

  it("points at a malformed map key, quoting names that are not plain", () => {
    expect(shapeProblems({ version: 1, clusters: { "bad name": app }, routes: [] })).toEqual([
      `clusters["bad name"]: name must be letters, digits, '.', '_' or '-', starting and ending with a letter or digit`,
    ]);
  });

  it("explains the YAML number traps", () => {
    expect(shapeProblems({ version: 1, tls: { minVersion: 1.2 }, routes: [] })).toEqual([
      'tls.minVersion: must be the string "1.2" (quote it: YAML reads 1.2 as a number)',
    ]);
    expect(shapeProblems(withRule({ timeouts: { request: 30 } }))).toEqual([
      'routes[0].rules[0].timeouts.request: must be a duration with its unit, such as "30s" (not the number 30)',
    ]);
  });

  it("words bounds for numbers, strings and lists", () => {
    expect(shapeProblems(withRule({ backendRefs: [{ name: "app", weight: -1 }] }))).toEqual([
      "routes[0].rules[0].backendRefs[0].weight: must be at least 0",
    ]);
    expect(shapeProblems(withRule({ backendRefs: [{ name: "app", weight: 1.5 }] }))).toEqual([
      "routes[0].rules[0].backendRefs[0].weight: must be a whole number, not 1.5",
    ]);
    expect(shapeProblems({ version: 1, routes: [{ id: "r", rules: [] }] })).toEqual([
      "routes[0].rules: must not be empty",
    ]);
  });

  it("reports every problem at once", () => {
    expect(shapeProblems({ version: 2, routes: [{ rules: [] }] })).toHaveLength(3);
  });
});
