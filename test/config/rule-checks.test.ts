/**
 * Gateway API's own validation rules for matches and path modifiers, as `gatehouse validate` applies
 * them (`src/config/rule-checks.ts`): percent-encodings in path values, ReplacePrefixMatch's one
 * PathPrefix match, the empty replacement, and header conditions that name one header twice.
 */
import { describe, expect, it } from "vitest";
import { formatProblem } from "../../src/config/problems.ts";
import type { RouteTableInput } from "../../src/config/schema.ts";
import { validateRouteTable } from "../../src/config/validate.ts";

type RuleInput = RouteTableInput["routes"][number]["rules"][number];

function tableWith(...rules: RuleInput[]): RouteTableInput {
  return {
    version: 1,
    clusters: { app: { endpoints: [{ url: "http://127.0.0.1:9001" }] } },
    routes: [{ id: "r", rules: rules.map((rule) => ({ backendRefs: [{ name: "app" }], ...rule })) }],
  };
}

function problemsOf(input: RouteTableInput): { errors: string[]; warnings: string[] } {
  const result = validateRouteTable(input);
  return {
    errors: result.ok ? [] : result.problems.map(formatProblem),
    warnings: result.warnings.map(formatProblem),
  };
}

describe("path values (Gateway API HTTPPathMatch)", () => {
  it.each([
    ["/a%2fb", 'must not contain an encoded "/" ("%2f")'],
    ["/a%2Fb", 'must not contain an encoded "/" ("%2F")'],
    ["/a%zz", 'has a "%" not followed by two hex digits ("%zz")'],
    ["/a%4", 'has a "%" not followed by two hex digits ("%4")'],
    ["/a%", 'has a "%" not followed by two hex digits ("%")'],
  ])("%s is refused, Exact and PathPrefix alike", (value, reason) => {
    for (const type of ["Exact", "PathPrefix"] as const) {
      expect(problemsOf(tableWith({ matches: [{ path: { type, value } }] })).errors).toEqual([
        `routes[0].rules[0].matches[0].path.value: ${reason}`,
      ]);
    }
  });

  it("other percent-encodings stay valid", () => {
    expect(problemsOf(tableWith({ matches: [{ path: { value: "/a%20b/%C3%A9" } }] })).errors).toEqual([]);
  });
});

describe("ReplacePrefixMatch", () => {
  const rewrite = (replacePrefixMatch: string): RuleInput["filters"] => [
    { type: "URLRewrite", urlRewrite: { path: { type: "ReplacePrefixMatch", replacePrefixMatch } } },
  ];

  it("needs exactly one match in its rule: two PathPrefix matches are refused", () => {
    const table = tableWith({
      matches: [{ path: { value: "/a" } }, { path: { value: "/b" } }],
      filters: rewrite("/x"),
    });
    expect(problemsOf(table).errors).toEqual([
      "routes[0].rules[0].filters[0].urlRewrite.path: ReplacePrefixMatch needs exactly one match in its rule, a PathPrefix match (the rule has 2)",
    ]);
  });

  it("the one match must be a PathPrefix", () => {
    const table = tableWith({ matches: [{ path: { type: "Exact", value: "/a" } }], filters: rewrite("/x") });
    expect(problemsOf(table).errors).toEqual([
      "routes[0].rules[0].filters[0].urlRewrite.path: ReplacePrefixMatch needs exactly one match in its rule, a PathPrefix match (matches[0] is Exact)",
    ]);
  });

  it("a rule without matches has the one default match, PathPrefix /", () => {
    expect(problemsOf(tableWith({ filters: rewrite("/x") })).errors).toEqual([]);
  });

  it('accepts "" as the replacement (the spec: /foo → "" turns /foo/bar into /bar)', () => {
    const table = tableWith({ matches: [{ path: { value: "/foo" } }], filters: rewrite("") });
    expect(problemsOf(table)).toEqual({ errors: [], warnings: [] });
  });

  it("still refuses a replacement that is neither empty nor a path", () => {
    const table = tableWith({ matches: [{ path: { value: "/foo" } }], filters: rewrite("foo") });
    expect(problemsOf(table).errors).toEqual([
      'routes[0].rules[0].filters[0].urlRewrite.path.replacePrefixMatch: must be "" or start with "/"',
    ]);
  });
});

describe("header conditions naming one header twice", () => {
  it("are valid: the first counts, later ones are ignored, with a warning", () => {
    const table = tableWith({
      matches: [
        {
          headers: [
            { name: "X-Env", value: "a" },
            { name: "x-env", value: "b" },
          ],
        },
      ],
    });
    expect(problemsOf(table)).toEqual({
      errors: [],
      warnings: [
        'routes[0].rules[0].matches[0].headers[1].name: header "x-env" is already matched at headers[0]: only the first condition counts, this one is ignored',
      ],
    });
  });
});
