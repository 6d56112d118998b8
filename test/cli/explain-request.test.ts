/**
 * What explain says a rule does, beyond where it goes: the JWT it requires, the TLS policy, rewrites and
 * header changes, and the URL and Host the origin really receives over each transport.
 */
import { describe, expect, it } from "vitest";
import { explainRequest } from "../../src/cli/explain-request.ts";
import type { RouteTable } from "../../src/config/schema.ts";
import { validateRouteTable } from "../../src/config/validate.ts";
import { compileRouteTable } from "../../src/routing/index.ts";

function compiled(table: unknown) {
  const result = validateRouteTable(table);
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  return compileRouteTable(result.table as RouteTable);
}

const TABLE = {
  version: 1,
  tls: { hsts: { maxAge: 600 } },
  providers: {
    accounts: {
      issuer: "https://auth.example.com/",
      audiences: ["orders", "billing"],
      remoteJWKS: { uri: "https://auth.example.com/jwks" },
    },
  },
  clusters: {
    local: { endpoints: [{ url: "http://127.0.0.1:9001" }], hostname: "orders.internal" },
    vpc: {
      endpoints: [{ url: "https://orders.internal:8443" }],
      transport: { type: "vpc", binding: "ORDERS_VPC" },
    },
    access: {
      endpoints: [{ url: "https://x.example.com" }],
      transport: {
        type: "access",
        hostname: "orders-origin.example.com",
        clientId: { binding: "ID" },
        clientSecret: { binding: "SECRET" },
      },
    },
    cleartext: { endpoints: [{ url: "http://10.0.0.5:8080" }] },
  },
  routes: [
    {
      id: "api",
      hostnames: ["api.example.com"],
      tls: { httpsRedirect: true },
      rules: [
        {
          name: "orders-write",
          matches: [{ path: { type: "PathPrefix", value: "/orders" }, method: "POST" }],
          auth: {
            provider: "accounts",
            audiences: ["orders"],
            requiredScopes: ["orders:write"],
            requiredClaims: [{ name: "tier", values: ["gold"] }],
          },
          filters: [
            {
              type: "URLRewrite",
              urlRewrite: {
                hostname: "svc.internal",
                path: { type: "ReplacePrefixMatch", replacePrefixMatch: "/v2" },
              },
            },
            {
              type: "RequestHeaderModifier",
              requestHeaderModifier: { set: [{ name: "x-env", value: "edge" }], remove: ["x-debug"] },
            },
            { type: "RequestMirror", requestMirror: { backendRef: { name: "local" }, percent: 5 } },
          ],
          backendRefs: [{ name: "vpc" }],
        },
        { matches: [{ path: { type: "PathPrefix", value: "/direct" } }], backendRefs: [{ name: "local" }] },
        { matches: [{ path: { type: "PathPrefix", value: "/access" } }], backendRefs: [{ name: "access" }] },
        {
          matches: [{ path: { type: "PathPrefix", value: "/cleartext" } }],
          backendRefs: [{ name: "cleartext" }],
        },
      ],
    },
  ],
};

const table = compiled(TABLE);

describe("explainRequest", () => {
  it("names the rule, and says what it requires and changes: auth, TLS, rewrites, headers, mirrors", () => {
    expect(explainRequest(table, { method: "POST", url: "https://api.example.com/orders/7?x=1" })).toEqual({
      matched: true,
      route: "api",
      rule: "orders-write",
      backend: "vpc",
      // vpc: the Host asked for goes into the URL: Host and SNI; the VPC Service decides where.
      upstreamUrl: "https://svc.internal/v2/7?x=1",
      upstreamHost: "svc.internal",
      transport: { type: "vpc", binding: "ORDERS_VPC" },
      tls: { hsts: { maxAge: 600, includeSubDomains: false, preload: false }, httpsRedirect: true },
      auth: {
        provider: "accounts",
        issuer: "https://auth.example.com/",
        audiences: ["orders"],
        scopes: ["orders:write"],
        claims: [{ name: "tier", values: ["gold"] }],
      },
      rewrite: { path: "/v2 (prefix)", hostname: "svc.internal" },
      requestHeaders: { set: [{ name: "x-env", value: "edge" }], remove: ["x-debug"] },
      mirrors: [{ backend: "local", percent: 5 }],
    });
  });

  it("direct: the origin sees the endpoint's host; a Host asked for is reported as not sent", () => {
    const result = explainRequest(table, { method: "GET", url: "https://api.example.com/direct/a" });
    expect(result).toMatchObject({
      rule: 1,
      upstreamUrl: "http://127.0.0.1:9001/direct/a",
      upstreamHost: "127.0.0.1:9001",
      transport: { type: "direct" },
      hostNotSent: {
        requested: "orders.internal",
        reason: expect.stringMatching(/^a direct transport sends/),
      },
    });
  });

  it("access: the Access hostname, whatever Host was asked for", () => {
    expect(explainRequest(table, { method: "GET", url: "https://api.example.com/access/b" })).toMatchObject({
      upstreamUrl: "https://orders-origin.example.com/access/b",
      upstreamHost: "orders-origin.example.com",
      transport: { type: "access" },
    });
  });

  it("plain HTTP off the machine: the 502 the direct transport answers", () => {
    expect(explainRequest(table, { method: "GET", url: "https://api.example.com/cleartext" })).toMatchObject({
      matched: true,
      status: 502,
      reason: expect.stringMatching(/transport_misconfigured/),
    });
  });

  it("the TLS redirect comes first: only the policy is reported with it", () => {
    expect(explainRequest(table, { method: "POST", url: "http://api.example.com/orders/7" })).toEqual({
      matched: true,
      route: "api",
      rule: "orders-write",
      redirect: { status: 308, location: "https://api.example.com/orders/7" },
      tls: { hsts: { maxAge: 600, includeSubDomains: false, preload: false }, httpsRedirect: true },
    });
  });
});
