/** What `compileRouteTable` precomputes for every rule, and how it refuses what it cannot compile. */
import { describe, expect, it } from "vitest";
import { RouteTableSchema } from "../../src/config/schema.ts";
import { compileRouteTable, effectiveTls } from "../../src/routing/index.ts";
import { compileRoutes, to } from "./support.ts";

describe("compiled rules", () => {
  it("lists every rule in table order with its route and indices", () => {
    const compiled = compileRoutes([
      { id: "a", rules: [to("a0"), { name: "second", ...to("a1") }] },
      { id: "b", rules: [to("b0")] },
    ]);
    expect(compiled.rules.map((r) => [r.routeId, r.routeIndex, r.ruleIndex, r.ruleName])).toEqual([
      ["a", 0, 0, undefined],
      ["a", 0, 1, "second"],
      ["b", 1, 0, undefined],
    ]);
    expect(compiled.rules[2]?.route).toBe(compiled.table.routes[1]);
    expect(compiled.rules[2]?.rule).toBe(compiled.table.routes[1]?.rules[0]);
  });

  it("passes filters, backends and auth through from the rule", () => {
    const compiled = compileRoutes([
      {
        id: "r",
        rules: [
          {
            filters: [
              {
                type: "RequestHeaderModifier",
                requestHeaderModifier: { set: [{ name: "x-a", value: "1" }] },
              },
            ],
            backendRefs: [{ name: "orders", weight: 90 }, { name: "canary" }],
            auth: { provider: "accounts", audiences: ["orders"] },
          },
          {},
        ],
      },
    ]);
    const [first, second] = compiled.rules;
    expect(first?.filters).toBe(compiled.table.routes[0]?.rules[0]?.filters);
    expect(first?.backendRefs).toEqual([
      { name: "orders", weight: 90 },
      { name: "canary", weight: 1 },
    ]);
    expect(first?.auth).toEqual({ provider: "accounts", audiences: ["orders"] });
    expect(second?.filters).toEqual([]);
    expect(second?.backendRefs).toEqual([]);
    expect(second?.auth).toBeUndefined();
  });

  it("defaults timeouts to 15 s for the request and none for a backend request; 0s disables", () => {
    const compiled = compileRoutes([
      {
        id: "r",
        rules: [
          {},
          { timeouts: { request: "30s", backendRequest: "1m30s" } },
          { timeouts: { request: "0s", backendRequest: "250ms" } },
        ],
      },
    ]);
    expect(compiled.rules.map((r) => r.timeouts)).toEqual([
      { requestMs: 15_000, backendRequestMs: 0 },
      { requestMs: 30_000, backendRequestMs: 90_000 },
      { requestMs: 0, backendRequestMs: 250 },
    ]);
  });

  it("compiles retries: none without a policy, the schema's defaults with an empty one", () => {
    const compiled = compileRoutes([
      {
        id: "r",
        rules: [{}, { retry: {} }, { retry: { attempts: 3, codes: [503], backoff: "1s" } }],
      },
    ]);
    expect(compiled.rules.map((r) => ({ ...r.retry, codes: [...r.retry.codes] }))).toEqual([
      { attempts: 0, codes: [502, 503, 504], backoffMs: 25 },
      { attempts: 1, codes: [502, 503, 504], backoffMs: 25 },
      { attempts: 3, codes: [503], backoffMs: 1000 },
    ]);
  });

  it("compiles session persistence into milliseconds and a cookie lifetime", () => {
    const compiled = compileRoutes([
      {
        id: "r",
        rules: [
          {},
          { sessionPersistence: {} },
          {
            sessionPersistence: {
              type: "Header",
              sessionName: "x-session",
              absoluteTimeout: "8h",
              idleTimeout: "30m",
              cookieConfig: { lifetimeType: "Permanent" },
            },
          },
        ],
      },
    ]);
    expect(compiled.rules.map((r) => r.sessionPersistence)).toEqual([
      undefined,
      {
        type: "Cookie",
        sessionName: "gh-session",
        absoluteTimeoutMs: 0,
        idleTimeoutMs: 0,
        permanentCookie: false,
      },
      {
        type: "Header",
        sessionName: "x-session",
        absoluteTimeoutMs: 28_800_000,
        idleTimeoutMs: 1_800_000,
        permanentCookie: true,
      },
    ]);
  });

  it("takes trustRequestId from the route", () => {
    const compiled = compileRoutes([
      { id: "a", rules: [{}] },
      { id: "b", trustRequestId: true, rules: [{}] },
    ]);
    expect(compiled.rules.map((r) => r.trustRequestId)).toEqual([false, true]);
  });
});

describe("effective TLS policy", () => {
  const tableTls = { httpsRedirect: true, minVersion: "1.2" as const, hsts: { maxAge: 60 } };

  it("is the table's, the route's, both merged field by field, or undefined", () => {
    const compiled = compileRoutes(
      [
        { id: "inherits", rules: [{}] },
        { id: "overrides", tls: { httpsRedirect: false, minVersion: "1.3" }, rules: [{}] },
      ],
      { tls: tableTls },
    );
    expect(compiled.rules[0]?.tls).toEqual({
      httpsRedirect: true,
      minVersion: "1.2",
      hsts: { maxAge: 60, includeSubDomains: false, preload: false },
    });
    expect(compiled.rules[1]?.tls).toEqual({
      httpsRedirect: false,
      minVersion: "1.3",
      hsts: { maxAge: 60, includeSubDomains: false, preload: false },
    });

    const routeOnly = compileRoutes([{ id: "r", tls: { hsts: false }, rules: [{}] }]);
    expect(routeOnly.rules[0]?.tls).toEqual({ hsts: false });
    expect(compileRoutes([{ id: "r", rules: [{}] }]).rules[0]?.tls).toBeUndefined();
  });

  it("replaces a nested policy as a whole and ignores fields the route leaves undefined", () => {
    expect(
      effectiveTls({ hsts: { maxAge: 1, includeSubDomains: true, preload: false } }, { hsts: false }),
    ).toEqual({
      hsts: false,
    });
    expect(effectiveTls({ httpsRedirect: true }, { httpsRedirect: undefined })).toEqual({
      httpsRedirect: true,
    });
  });
});

describe("match candidates", () => {
  it("lower-cases header names once and keeps query names as written", () => {
    const compiled = compileRoutes([
      {
        id: "r",
        rules: [
          to("x", [
            {
              headers: [{ name: "X-Canary", value: "1" }],
              queryParams: [{ name: "Debug", value: "1" }],
            },
          ]),
        ],
      },
    ]);
    const [candidate] = compiled.lookup.candidates;
    expect(candidate?.headers.map((h) => h.name)).toEqual(["x-canary"]);
    expect(candidate?.queryParams.map((q) => q.name)).toEqual(["Debug"]);
  });

  it("orders every candidate by precedence once, at compile time", () => {
    const compiled = compileRoutes([
      {
        id: "r",
        rules: [
          to("prefix-short", [{ path: { type: "PathPrefix", value: "/a" } }]),
          to("prefix-long", [{ path: { type: "PathPrefix", value: "/a/b" } }]),
          to("regex", [{ path: { type: "RegularExpression", value: "/a.*" } }]),
          to("exact", [{ path: { type: "Exact", value: "/a" } }]),
          to("prefix-long-method", [{ path: { type: "PathPrefix", value: "/a/b/" }, method: "GET" }]),
          to("prefix-long-header", [
            { path: { type: "PathPrefix", value: "/a/b" }, headers: [{ name: "h", value: "1" }] },
          ]),
        ],
      },
    ]);
    expect(compiled.lookup.candidates.map((c) => c.rule.backendRefs[0]?.name)).toEqual([
      "exact",
      "regex",
      "prefix-long-method",
      "prefix-long-header",
      "prefix-long",
      "prefix-short",
    ]);
    expect(compiled.lookup.candidates.map((c) => c.rank)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it("orders by the same precedence when a key is too large to pack (64 header conditions)", () => {
    const headers = (count: number) =>
      Array.from({ length: count }, (_, i) => ({ name: `h${i}`, value: "1" }));
    const compiled = compileRoutes([
      {
        id: "r",
        rules: [
          to("prefix", [{ path: { type: "PathPrefix", value: "/a" } }]),
          to("one-header", [{ path: { type: "PathPrefix", value: "/a" }, headers: headers(1) }]),
          to("many-headers", [{ path: { type: "PathPrefix", value: "/a" }, headers: headers(64) }]),
          to("exact", [{ path: { type: "Exact", value: "/a" } }]),
        ],
      },
    ]);
    expect(compiled.lookup.candidates.map((c) => c.rule.backendRefs[0]?.name)).toEqual([
      "exact",
      "many-headers",
      "one-header",
      "prefix",
    ]);
    expect(compiled.lookup.candidates.map((c) => c.rank)).toEqual([0, 1, 2, 3]);
  });

  it("files hosts in the exact map, wildcards by suffix and the rest in the catch-all group", () => {
    const compiled = compileRoutes([
      { id: "a", hostnames: ["API.example.com.", "*.Example.com"], rules: [{}] },
      { id: "b", rules: [{}] },
    ]);
    expect([...compiled.lookup.exactHosts.keys()]).toEqual(["api.example.com"]);
    expect([...compiled.lookup.wildcardSuffixes.keys()]).toEqual([".example.com"]);
    expect(compiled.lookup.catchAll).toBeDefined();
  });
});

describe("refusals", () => {
  const withPattern = (value: string) =>
    RouteTableSchema.parse({
      version: 1,
      routes: [{ id: "r", rules: [{ matches: [{ path: { type: "RegularExpression", value } }] }] }],
    });

  it("names the field of an invalid regular expression", () => {
    expect(() => compileRouteTable(withPattern("/users/[0-9"))).toThrow(
      /^routes\[0\]\.rules\[0\]\.matches\[0\]\.path\.value: is not a valid RE2 regular expression/,
    );
  });

  it("refuses a pattern that would escape its anchors", () => {
    expect(() => compileRouteTable(withPattern("/x)|(.*"))).toThrow(/is not a valid RE2 regular expression/);
  });

  it("refuses a pattern over the program-size cap, so an unchecked table cannot slip one in", () => {
    expect(() => compileRouteTable(withPattern("/[a-z]{0,99}[a-z]{0,99}[a-z]{0,99}"))).toThrow(
      /^routes\[0\]\.rules\[0\]\.matches\[0\]\.path\.value: regular expression program size \d+ exceeds the limit of 100/,
    );
  });

  it("names the field of an invalid header pattern", () => {
    const table = RouteTableSchema.parse({
      version: 1,
      routes: [
        {
          id: "r",
          rules: [{}, { matches: [{}, { headers: [{ name: "x", value: "(", type: "RegularExpression" }] }] }],
        },
      ],
    });
    expect(() => compileRouteTable(table)).toThrow(
      /^routes\[0\]\.rules\[1\]\.matches\[1\]\.headers\[0\]\.value: /,
    );
  });
});
