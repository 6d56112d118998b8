import { describe, expect, it } from "vitest";
import { formatProblem, validateRouteTable } from "../../src/config/validate.ts";

const tableWithRouteId = (id: string) => ({
  version: 1,
  clusters: { web: { endpoints: [{ url: "http://127.0.0.1:9001" }] } },
  routes: [{ id, rules: [{ backendRefs: [{ name: "web" }] }] }],
});

describe("route ids", () => {
  it.each([
    "orders-api",
    "orders.v2",
    "shop/storefront",
    "shop/storefront/www.example.com",
    "shop/web/*.example.com",
  ])("accepts %s (a name, or namespace/name[/host] for imported objects)", (id) => {
    expect(validateRouteTable(tableWithRouteId(id)).ok).toBe(true);
  });

  it.each(["/shop", "shop/", "shop//web", "a/b/c/d", "*.example.com", "shop/*.web", "shop web"])(
    "refuses %s",
    (id) => {
      const result = validateRouteTable(tableWithRouteId(id));
      expect(result.ok).toBe(false);
      if (!result.ok)
        expect(result.problems.map(formatProblem).join("\n")).toMatch(/^routes\[0\]\.id: must be a name/);
    },
  );
});
