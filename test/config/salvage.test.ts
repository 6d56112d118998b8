/**
 * The salvage view: a table with shape problems still has its well-shaped parts checked, and every
 * problem's path points at the part it is about.
 */
import { describe, expect, it } from "vitest";
import { salvageView } from "../../src/config/salvage.ts";
import { formatProblem, validateRouteTable } from "../../src/config/validate.ts";

const clusters = { app: { endpoints: [{ url: "http://127.0.0.1:9001" }] } };

function problemsOf(input: unknown): string[] {
  const result = validateRouteTable(input);
  return result.ok ? [] : result.problems.map(formatProblem);
}

describe("salvageView", () => {
  it("keeps a malformed rule's index as a hole, so later rules keep theirs", () => {
    const view = salvageView({
      version: 1,
      clusters,
      routes: [
        {
          id: "r",
          rules: [
            { backendRefs: [{ name: "app" }] },
            { backendRefs: "not a list", matches: 3 },
            { backendRefs: [{ name: "ghost" }] },
          ],
        },
      ],
    });
    const [route] = view.routes;
    expect(route?.rules).toHaveLength(3);
    expect(route?.rules[2]?.backendRefs?.[0]?.name).toBe("ghost");
  });

  it("never drops a route: one with a malformed id still has its rules", () => {
    const view = salvageView({ version: 1, routes: [{ id: "bad id", rules: [{}] }] });
    expect(view.routes).toHaveLength(1);
    expect(view.routes[0]?.id).toBeUndefined();
    expect(view.routes[0]?.rules).toHaveLength(1);
  });

  it("marks rebuilt parts incomplete, so absence there proves nothing", () => {
    const view = salvageView({
      version: 1,
      clusters,
      routes: [{ id: "r", rules: [{ backendRefs: [{ name: 1 }] }] }],
    });
    const rule = view.routes[0]?.rules[0];
    expect(rule).toBeDefined();
    expect(view.incomplete(rule!)).toBe(true);
  });
});

describe("validation over a malformed table", () => {
  it("still checks the references of the well-shaped rules, at the right indexes", () => {
    expect(
      problemsOf({
        version: 1,
        clusters,
        routes: [
          {
            id: "r",
            rules: [
              { backendRefs: [{ name: "app" }], timeouts: { request: "soon" } },
              { backendRefs: [{ name: "ordrs" }] },
            ],
          },
          {
            id: "s",
            rules: [{ backendRefs: [{ name: "app", weight: -1 }] }, { backendRefs: [{ name: "nope" }] }],
          },
        ],
      }),
    ).toEqual([
      'routes[0].rules[0].timeouts.request: "soon" is not a duration (for example "30s", "100ms", "1h30m")',
      "routes[1].rules[0].backendRefs[0].weight: must be at least 0",
      'routes[0].rules[1].backendRefs[0].name: no cluster "ordrs"',
      'routes[1].rules[1].backendRefs[0].name: no cluster "nope"',
    ]);
  });

  it("checks a malformed rule's other fields: a bad header beside an unknown provider", () => {
    expect(
      problemsOf({
        version: 1,
        clusters,
        routes: [
          {
            id: "r",
            rules: [
              {
                matches: [{ headers: [{ name: "bad name", value: "1" }] }],
                backendRefs: [{ name: "app" }],
                auth: { provider: "accounts" },
              },
            ],
          },
        ],
      }),
    ).toEqual([
      'routes[0].rules[0].matches[0].headers[0].name: "bad name" is not a valid HTTP header name',
      'routes[0].rules[0].auth.provider: no provider "accounts"',
    ]);
  });

  it("draws no conclusion from a part that was dropped: no 'has no backendRefs' warning", () => {
    const result = validateRouteTable({
      version: 1,
      clusters,
      routes: [{ id: "r", rules: [{ backendRefs: [{ name: 5 }] }] }],
    });
    expect(result.ok).toBe(false);
    expect(result.warnings).toEqual([]);
  });
});
