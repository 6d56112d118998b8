/**
 * The contract's matching semantics beyond the conformance tables: hostname tiers and fall-through,
 * element-wise prefixes, regular expressions and their precedence, header and query details, what a
 * `RouteMatch` reports.
 */
import { describe, expect, it } from "vitest";
import { type CompiledRouteTable, matchRoute } from "../../src/routing/index.ts";
import {
  backendOf,
  compileRoutes,
  describeRequest,
  matchInput,
  route,
  type TestRequest,
  to,
} from "./support.ts";

type Case = [request: TestRequest, expected: string | 404];

function expectCases(compiled: CompiledRouteTable, cases: Case[]) {
  for (const [request, expected] of cases) {
    expect(backendOf(compiled, request), describeRequest(request)).toBe(expected);
  }
}

describe("hostnames", () => {
  it("compares case-insensitively, without port or trailing dot, on both sides", () => {
    const compiled = compileRoutes([{ id: "api", hostnames: ["API.Example.com."], rules: [to("api")] }]);
    expectCases(compiled, [
      [{ host: "api.example.com", path: "/" }, "api"],
      [{ host: "Api.EXAMPLE.Com", path: "/" }, "api"],
      [{ host: "api.example.com:8443", path: "/" }, "api"],
      [{ host: "api.example.com.", path: "/" }, "api"],
      [{ host: "api.example.com.:8080", path: "/" }, "api"],
      [{ host: "www.example.com", path: "/" }, 404],
    ]);
  });

  it("matches a wildcard on one or more labels, never on the bare suffix", () => {
    const compiled = compileRoutes([{ id: "wild", hostnames: ["*.example.com"], rules: [to("wild")] }]);
    expectCases(compiled, [
      [{ host: "a.example.com", path: "/" }, "wild"],
      [{ host: "a.b.example.com", path: "/" }, "wild"],
      [{ host: "example.com", path: "/" }, 404],
      [{ host: "aexample.com", path: "/" }, 404],
      [{ host: "a.example.com.evil.net", path: "/" }, 404],
    ]);
  });

  it("prefers an exact host to any wildcard, whatever the paths say", () => {
    const compiled = compileRoutes([
      {
        id: "wild",
        hostnames: ["*.example.com"],
        rules: [to("wild", [{ path: { type: "Exact", value: "/x" } }])],
      },
      { id: "exact", hostnames: ["api.example.com"], rules: [to("exact")] },
    ]);
    expectCases(compiled, [
      [{ host: "api.example.com", path: "/x" }, "exact"],
      [{ host: "www.example.com", path: "/x" }, "wild"],
    ]);
  });

  it("prefers a longer wildcard to a shorter one", () => {
    const compiled = compileRoutes([
      {
        id: "short",
        hostnames: ["*.example.com"],
        rules: [to("short", [{ path: { type: "Exact", value: "/x" } }])],
      },
      { id: "long", hostnames: ["*.api.example.com"], rules: [to("long")] },
    ]);
    expectCases(compiled, [
      [{ host: "v1.api.example.com", path: "/x" }, "long"],
      [{ host: "api.example.com", path: "/x" }, "short"],
      [{ host: "v1.www.example.com", path: "/x" }, "short"],
    ]);
  });

  it("tries routes without hostnames after every hostname-specific route", () => {
    const compiled = compileRoutes([
      { id: "any", rules: [to("any", [{ path: { type: "Exact", value: "/x" } }])] },
      {
        id: "empty-list",
        hostnames: [],
        rules: [to("empty-list", [{ path: { type: "Exact", value: "/y" } }])],
      },
      { id: "api", hostnames: ["api.example.com"], rules: [to("api")] },
    ]);
    expectCases(compiled, [
      [{ host: "api.example.com", path: "/x" }, "api"],
      [{ host: "other.org", path: "/x" }, "any"],
      [{ host: "other.org", path: "/y" }, "empty-list"],
      [{ host: "other.org", path: "/z" }, 404],
    ]);
  });

  it("falls through from the exact host to wildcards to the catch-all when nothing matches", () => {
    const compiled = compileRoutes([
      { id: "catch-all", rules: [to("catch-all", [{ path: { type: "PathPrefix", value: "/health" } }])] },
      {
        id: "short",
        hostnames: ["*.com"],
        rules: [to("short", [{ path: { type: "PathPrefix", value: "/docs" } }])],
      },
      {
        id: "wild",
        hostnames: ["*.example.com"],
        rules: [to("wild", [{ path: { type: "PathPrefix", value: "/users" } }])],
      },
      {
        id: "exact",
        hostnames: ["api.example.com"],
        rules: [to("exact", [{ path: { type: "PathPrefix", value: "/orders" }, method: "GET" }])],
      },
    ]);
    expectCases(compiled, [
      [{ host: "api.example.com", path: "/orders/1" }, "exact"],
      [{ method: "POST", host: "api.example.com", path: "/orders/1" }, 404],
      [{ host: "api.example.com", path: "/users/7" }, "wild"],
      [{ host: "api.example.com", path: "/docs" }, "short"],
      [{ host: "api.example.com", path: "/health" }, "catch-all"],
      [{ host: "example.com", path: "/docs" }, "short"],
      [{ host: "example.com", path: "/users" }, 404],
      [{ host: "api.example.com", path: "/nothing" }, 404],
    ]);
  });

  it("lets one route list an exact name and a wildcard together", () => {
    const compiled = compileRoutes([
      {
        id: "other",
        hostnames: ["*.example.com"],
        rules: [to("other", [{ path: { type: "Exact", value: "/x" } }])],
      },
      { id: "both", hostnames: ["api.example.com", "*.example.com"], rules: [to("both")] },
    ]);
    expectCases(compiled, [
      // api.example.com: "both" sits in the exact tier, ahead of "other".
      [{ host: "api.example.com", path: "/x" }, "both"],
      // www.example.com: both routes are in the same wildcard tier; Exact /x wins by precedence.
      [{ host: "www.example.com", path: "/x" }, "other"],
      [{ host: "www.example.com", path: "/y" }, "both"],
    ]);
  });
});

describe("paths", () => {
  it("matches an Exact path whole and case-sensitively", () => {
    const compiled = compileRoutes([
      { id: "r", rules: [to("one", [{ path: { type: "Exact", value: "/one" } }])] },
    ]);
    expectCases(compiled, [
      [{ path: "/one" }, "one"],
      [{ path: "/one/" }, 404],
      [{ path: "/One" }, 404],
      [{ path: "/one/two" }, 404],
      [{ path: "/one?x=1" }, "one"],
    ]);
  });

  it("matches a PathPrefix element by element, ignoring a trailing slash in the value", () => {
    const compiled = compileRoutes([
      {
        id: "r",
        rules: [
          to("abc", [{ path: { type: "PathPrefix", value: "/abc" } }]),
          to("def-slash", [{ path: { type: "PathPrefix", value: "/def/" } }]),
        ],
      },
    ]);
    expectCases(compiled, [
      [{ path: "/abc" }, "abc"],
      [{ path: "/abc/" }, "abc"],
      [{ path: "/abc/def" }, "abc"],
      [{ path: "/abcd" }, 404],
      [{ path: "/ab" }, 404],
      [{ path: "/def" }, "def-slash"],
      [{ path: "/def/x" }, "def-slash"],
      [{ path: "/defx" }, 404],
    ]);
  });

  it("lets the prefix / match everything", () => {
    const compiled = compileRoutes([
      { id: "r", rules: [to("root", [{ path: { type: "PathPrefix", value: "/" } }])] },
    ]);
    expectCases(compiled, [
      [{ path: "/" }, "root"],
      [{ path: "/a/b/c/" }, "root"],
    ]);
  });

  it("defaults a rule without matches, and a match without a path, to the prefix /", () => {
    const compiled = compileRoutes([{ id: "r", rules: [{ backendRefs: [{ name: "all" }] }] }]);
    const match = route(compiled, { path: "/anything" });
    expect(match?.pathMatch).toEqual({ type: "PathPrefix", value: "/" });
    expect(match?.matchIndex).toBe(0);

    const methodOnly = compileRoutes([{ id: "r", rules: [to("get", [{ method: "GET" }])] }]);
    expect(route(methodOnly, { path: "/x" })?.pathMatch).toEqual({ type: "PathPrefix", value: "/" });
  });

  it("matches table values in their normalised form, as requests are", () => {
    const compiled = compileRoutes([
      {
        id: "r",
        rules: [
          to("tilde", [{ path: { type: "PathPrefix", value: "/%7euser" } }]),
          to("dots", [{ path: { type: "Exact", value: "/a/./b/../c" } }]),
        ],
      },
    ]);
    expectCases(compiled, [
      [{ path: "/~user/x" }, "tilde"],
      [{ path: "/%7Euser" }, "tilde"],
      [{ path: "/a/c" }, "dots"],
    ]);
    expect(route(compiled, { path: "/~user/x" })?.pathMatch).toEqual({ type: "PathPrefix", value: "/~user" });
  });

  it("treats an encoded slash as part of a segment when the table allows it", () => {
    const compiled = compileRoutes(
      [
        {
          id: "r",
          rules: [
            to("encoded", [{ path: { type: "PathPrefix", value: "/a%2Fb" } }]),
            to("a", [{ path: { type: "PathPrefix", value: "/a" } }]),
          ],
        },
      ],
      { paths: { allowEncodedSlashes: true } },
    );
    const input = { method: "GET", host: "h", query: new URLSearchParams(), headers: new Headers() };
    expect(matchRoute(compiled, { ...input, path: "/a%2Fb/c" })?.rule.backendRefs[0]?.name).toBe("encoded");
    expect(matchRoute(compiled, { ...input, path: "/a/b/c" })?.rule.backendRefs[0]?.name).toBe("a");
  });
});

describe("regular expressions", () => {
  it("anchors a path pattern to the whole path", () => {
    const compiled = compileRoutes([
      { id: "r", rules: [to("users", [{ path: { type: "RegularExpression", value: "/users/[0-9]+" } }])] },
    ]);
    expectCases(compiled, [
      [{ path: "/users/42" }, "users"],
      [{ path: "/users/42/x" }, 404],
      [{ path: "/v1/users/42" }, 404],
      [{ path: "/users/" }, 404],
    ]);
  });

  it("ranks Exact over RegularExpression over PathPrefix, whatever the lengths", () => {
    const compiled = compileRoutes([
      {
        id: "r",
        rules: [
          to("prefix", [{ path: { type: "PathPrefix", value: "/api/items/long/prefix" } }]),
          to("regex", [{ path: { type: "RegularExpression", value: "/api/.*" } }]),
          to("exact", [{ path: { type: "Exact", value: "/api/items" } }]),
        ],
      },
    ]);
    expectCases(compiled, [
      [{ path: "/api/items" }, "exact"],
      [{ path: "/api/items/long/prefix/x" }, "regex"],
      [{ path: "/apix" }, 404],
    ]);
  });

  it("tries longer patterns first, wherever their literal prefix files them", () => {
    const compiled = compileRoutes([
      {
        id: "r",
        rules: [
          to("filed-under-api", [{ path: { type: "RegularExpression", value: "/api/.*" } }]),
          to("filed-at-root", [{ path: { type: "RegularExpression", value: ".*/items" } }]),
          to("deep", [{ path: { type: "RegularExpression", value: "/api/v[0-9]/x" } }]),
          to("alternation", [{ path: { type: "RegularExpression", value: "/zz|/api/v1/items/[a-z]+" } }]),
          to("long-under-api", [{ path: { type: "RegularExpression", value: "/api/[a-z]+/items" } }]),
        ],
      },
    ]);
    expectCases(compiled, [
      [{ path: "/api/items" }, "filed-at-root"],
      [{ path: "/api/v1/x" }, "deep"],
      [{ path: "/api/v1/items/abc" }, "alternation"],
      [{ path: "/api/v1/items/1" }, "filed-under-api"],
      [{ path: "/api/other" }, "filed-under-api"],
      [{ path: "/zz" }, "alternation"],
      [{ path: "/other/items" }, "filed-at-root"],
      [{ path: "/api/abc/items" }, "long-under-api"],
    ]);
  });

  it("rules out a pattern whose literal start the path lacks before reading its headers", () => {
    // Many such patterns may sit at a host's trie root (`/v[0-9]+/…` has no literal segment), where
    // every request to the host meets them: each costs a string comparison, not a header read or a match.
    const routes = Array.from({ length: 50 }, (_, i) => ({
      id: `v${i}`,
      rules: [
        to(`v${i}`, [
          {
            path: { type: "RegularExpression" as const, value: `/v[0-9]+/svc${i}` },
            headers: [{ name: "x-canary", value: "1" }],
          },
        ]),
      ],
    }));
    const compiled = compileRoutes([
      ...routes,
      { id: "open", rules: [to("open", [{ path: { type: "PathPrefix", value: "/open" } }])] },
    ]);
    const input = matchInput({ path: "/open/x", headers: { "x-canary": "1" } });
    let headerReads = 0;
    const headers = input.headers;
    const counting = {
      get(name: string) {
        headerReads++;
        return headers.get(name);
      },
    } as Headers;
    expect(matchRoute(compiled, { ...input, headers: counting })?.rule.backendRefs[0]?.name).toBe("open");
    expect(headerReads).toBe(0);
    expectCases(compiled, [
      [{ path: "/v2/svc7", headers: { "x-canary": "1" } }, "v7"],
      [{ path: "/v2/svc7" }, 404],
    ]);
  });

  it("keeps precedence when a node files its many patterns by literal start", () => {
    // More than REGEX_INDEX_MIN patterns at the root: filed by literal start, merged back by rank.
    const patterns = [
      ["short-v", "/v[0-9]+/x"],
      ["any", ".*/x"],
      ["long-v1", "/v1[0-9]*/x"],
      ["w", "/w[0-9]+/x"],
      ...Array.from({ length: 10 }, (_, i) => [`other${i}`, `/o${i}[a-z]+/x`]),
    ];
    const compiled = compileRoutes([
      {
        id: "r",
        rules: patterns.map(([backend, value]) =>
          to(backend!, [{ path: { type: "RegularExpression", value: value! } }]),
        ),
      },
    ]);
    const root = compiled.lookup.catchAll!;
    expect(root.regexIndex?.lengths).toEqual([0, 2, 3]);
    // Ranks: longer patterns first, then table order (precedence.ts).
    expectCases(compiled, [
      [{ path: "/v12/x" }, "long-v1"],
      [{ path: "/v2/x" }, "short-v"],
      [{ path: "/w2/x" }, "w"],
      [{ path: "/o3abc/x" }, "other3"],
      [{ path: "/zz/x" }, "any"],
      [{ path: "/v2/y" }, 404],
    ]);
  });

  it("anchors header and query patterns to the whole value", () => {
    const compiled = compileRoutes([
      {
        id: "r",
        rules: [
          to("header", [{ headers: [{ name: "x-version", type: "RegularExpression", value: "v[0-9]+" }] }]),
          to("query", [{ queryParams: [{ name: "id", type: "RegularExpression", value: "[a-f0-9]{4}" }] }]),
        ],
      },
    ]);
    expectCases(compiled, [
      [{ path: "/", headers: { "X-Version": "v12" } }, "header"],
      [{ path: "/", headers: { "X-Version": "xv12" } }, 404],
      [{ path: "/?id=beef" }, "query"],
      [{ path: "/?id=beef1" }, 404],
    ]);
  });
});

describe("headers, query parameters and methods", () => {
  it("compares header names case-insensitively and values case-sensitively", () => {
    const compiled = compileRoutes([
      { id: "r", rules: [to("h", [{ headers: [{ name: "X-Canary", value: "On" }] }])] },
    ]);
    expectCases(compiled, [
      [{ path: "/", headers: { "x-canary": "On" } }, "h"],
      [{ path: "/", headers: { "X-CANARY": "On" } }, "h"],
      [{ path: "/", headers: { "x-canary": "on" } }, 404],
    ]);
  });

  it("compares query parameter names case-sensitively and uses the first value", () => {
    const compiled = compileRoutes([
      { id: "r", rules: [to("q", [{ queryParams: [{ name: "debug", value: "1" }] }])] },
    ]);
    expectCases(compiled, [
      [{ path: "/?debug=1" }, "q"],
      [{ path: "/?Debug=1" }, 404],
      [{ path: "/?debug=1&debug=0" }, "q"],
      [{ path: "/?debug=0&debug=1" }, 404],
    ]);
  });

  it("counts only the first condition for a repeated header name, for matching and precedence", () => {
    const compiled = compileRoutes([
      {
        id: "r",
        rules: [
          to("repeated", [
            {
              headers: [
                { name: "x-a", value: "1" },
                { name: "X-A", value: "2" },
              ],
            },
          ]),
          to("two-names", [
            {
              headers: [
                { name: "x-a", value: "1" },
                { name: "x-b", value: "1" },
              ],
            },
          ]),
        ],
      },
    ]);
    expectCases(compiled, [
      [{ path: "/", headers: { "x-a": "1" } }, "repeated"],
      [{ path: "/", headers: { "x-a": "1", "x-b": "1" } }, "two-names"],
    ]);
  });

  it("matches a method exactly: HEAD is not GET", () => {
    const compiled = compileRoutes([{ id: "r", rules: [to("get", [{ method: "GET" }])] }]);
    expectCases(compiled, [
      [{ method: "GET", path: "/" }, "get"],
      [{ method: "HEAD", path: "/" }, 404],
    ]);
  });
});

describe("ties and what a match reports", () => {
  it("gives a tie to the route listed first, then the rule listed first", () => {
    const compiled = compileRoutes([
      { id: "first", rules: [to("first-a", [{ path: { type: "PathPrefix", value: "/a" } }])] },
      {
        id: "second",
        rules: [
          to("second-a", [{ path: { type: "PathPrefix", value: "/a" } }]),
          to("second-b", [{ path: { type: "PathPrefix", value: "/b" } }]),
          to("second-b-again", [{ path: { type: "PathPrefix", value: "/b/" } }]),
        ],
      },
    ]);
    expectCases(compiled, [
      [{ path: "/a" }, "first-a"],
      [{ path: "/b" }, "second-b"],
    ]);
  });

  it("reports the rule, the index of the match that held and its path match", () => {
    const compiled = compileRoutes([
      { id: "other", rules: [to("other", [{ path: { type: "Exact", value: "/x" } }])] },
      {
        id: "orders",
        rules: [
          { name: "read", ...to("o", [{ path: { type: "PathPrefix", value: "/x" } }]) },
          {
            name: "write",
            ...to("o", [
              { path: { type: "PathPrefix", value: "/orders" }, method: "POST" },
              { path: { type: "PathPrefix", value: "/orders/" }, method: "PUT" },
            ]),
          },
        ],
      },
    ]);
    const match = route(compiled, { method: "PUT", path: "/orders/7" });
    expect(match?.rule.routeId).toBe("orders");
    expect(match?.rule.ruleIndex).toBe(1);
    expect(match?.rule.ruleName).toBe("write");
    expect(match?.matchIndex).toBe(1);
    expect(match?.pathMatch).toEqual({ type: "PathPrefix", value: "/orders/" });
    expect(match?.rule).toBe(compiled.rules[2]);
  });

  it("returns undefined when nothing matches, also on an empty table", () => {
    expect(route(compileRoutes([]), { path: "/" })).toBeUndefined();
  });
});
