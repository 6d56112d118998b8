/**
 * The warnings of `src/config/protection-checks.ts`: a protected rule's backend reachable through an
 * open rule on the same host, and a method-limited protected rule whose other methods an open rule
 * takes. Warnings, never errors; and none when hosts or clusters differ.
 */
import { describe, expect, it } from "vitest";
import { formatProblem } from "../../src/config/problems.ts";
import type { RouteTableInput } from "../../src/config/schema.ts";
import { validateRouteTable } from "../../src/config/validate.ts";

type RouteInput = RouteTableInput["routes"][number];

function warningsOf(routes: RouteInput[]): string[] {
  const result = validateRouteTable({
    version: 1,
    providers: {
      demo: {
        issuer: "https://issuer.test/",
        audiences: ["api"],
        secret: { binding: "S" },
        algorithms: ["HS256"],
      },
    },
    clusters: {
      app: { endpoints: [{ url: "http://127.0.0.1:9001" }] },
      other: { endpoints: [{ url: "http://127.0.0.1:9002" }] },
    },
    routes,
  });
  expect(result.ok).toBe(true);
  return result.warnings.map(formatProblem);
}

const AUTH = { provider: "demo" };
const privateRule = (extra: object = {}) => ({
  matches: [{ path: { value: "/private" } }],
  backendRefs: [{ name: "app" }],
  auth: AUTH,
  ...extra,
});

describe("a protected backend reachable through an open rule", () => {
  const warning = (route: number, open: string) =>
    `routes[${route}].rules[0]: its backend "app" is also reachable without auth through ${open} on the same host: the origin must not rely on the path alone to tell the two apart (docs/routing.md, "Origin readings")`;

  it("is warned about when both share the host: the same name, a catch-all route, or a covering wildcard", () => {
    expect(
      warningsOf([
        { id: "a", hostnames: ["api.test"], rules: [privateRule(), { backendRefs: [{ name: "app" }] }] },
      ]),
    ).toEqual([warning(0, "routes[0].rules[1]")]);
    expect(
      warningsOf([
        { id: "a", hostnames: ["api.test"], rules: [privateRule()] },
        { id: "b", rules: [{ backendRefs: [{ name: "app" }] }] },
      ]),
    ).toEqual([warning(0, "routes[1].rules[0]")]);
    expect(
      warningsOf([
        { id: "a", hostnames: ["api.example.com"], rules: [privateRule()] },
        { id: "b", hostnames: ["*.example.com"], rules: [{ backendRefs: [{ name: "app" }] }] },
      ]),
    ).toEqual([warning(0, "routes[1].rules[0]")]);
  });

  it("is not warned about for another host or another cluster", () => {
    expect(
      warningsOf([
        { id: "a", hostnames: ["api.test"], rules: [privateRule()] },
        { id: "b", hostnames: ["www.test"], rules: [{ backendRefs: [{ name: "app" }] }] },
        { id: "c", hostnames: ["api.test"], rules: [{ backendRefs: [{ name: "other" }] }] },
      ]),
    ).toEqual([]);
  });
});

describe("a method-limited protected rule", () => {
  it("is warned about when an open rule takes the other methods on its path", () => {
    expect(
      warningsOf([
        {
          id: "a",
          hostnames: ["api.test"],
          rules: [
            {
              matches: [{ path: { value: "/orders" }, method: "POST" }],
              backendRefs: [{ name: "app" }],
              auth: AUTH,
            },
            { matches: [{ path: { value: "/" } }], backendRefs: [{ name: "other" }] },
          ],
        },
      ]),
    ).toEqual([
      "routes[0].rules[0]: requires auth only for POST: other methods on its paths go to routes[0].rules[1], which requires none",
    ]);
  });

  it("is not warned about when nothing open covers its path", () => {
    expect(
      warningsOf([
        {
          id: "a",
          hostnames: ["api.test"],
          rules: [
            {
              matches: [{ path: { value: "/orders" }, method: "POST" }],
              backendRefs: [{ name: "app" }],
              auth: AUTH,
            },
            { matches: [{ path: { value: "/docs" } }], backendRefs: [{ name: "other" }] },
          ],
        },
      ]),
    ).toEqual([]);
  });
});
