/** `gatehouse explain` names the traffic policy a request would meet (defaults merged), without evaluating it. */
import { describe, expect, it } from "vitest";
import { explainRequest } from "../../src/cli/explain-request.ts";
import { RouteTableSchema } from "../../src/config/schema.ts";
import { compileRouteTable } from "../../src/routing/index.ts";

const compiled = compileRouteTable(
  RouteTableSchema.parse({
    version: 1,
    defaults: { requestLimits: { bodyBytes: 1024 }, countries: { deny: ["T1"] } },
    clusters: { orders: { endpoints: [{ url: "http://127.0.0.1:9001" }] } },
    routes: [
      {
        id: "api",
        hostnames: ["api.test"],
        rules: [
          {
            matches: [{ path: { value: "/limited" } }],
            backendRefs: [{ name: "orders" }],
            rateLimit: [{ requests: 10, period: "10s", key: ["clientAddress", { header: "x-api-key" }] }],
            clientAddresses: { allow: ["10.0.0.0/8", "2001:db8::/32"], deny: ["10.1.0.0/16"] },
            requestLimits: { urlBytes: 2048 },
          },
          { backendRefs: [{ name: "orders" }], countries: { allow: ["DE"] } },
        ],
      },
    ],
  }),
);

describe("explain with traffic policy", () => {
  it("lists the rule's limits and the sizes of its address lists, defaults merged", () => {
    const result = explainRequest(compiled, { method: "GET", url: "https://api.test/limited" });
    expect(result).toMatchObject({
      matched: true,
      rule: 0,
      policy: {
        rateLimit: [
          {
            requests: 10,
            period: "10s",
            key: ["clientAddress", { header: "x-api-key" }],
            backend: "RateLimitingBinding",
          },
        ],
        clientAddresses: { allow: 2, deny: 1 },
        countries: { deny: ["T1"] },
        requestLimits: { bodyBytes: 1024, urlBytes: 2048 },
      },
    });
  });

  it("shows a rule's own list in place of the default one", () => {
    const result = explainRequest(compiled, { method: "GET", url: "https://api.test/other" });
    expect(result).toMatchObject({ rule: 1, policy: { countries: { allow: ["DE"] } } });
  });
});
