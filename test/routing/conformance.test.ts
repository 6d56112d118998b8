/**
 * The request/expectation tables of the Gateway API conformance suite
 * (kubernetes-sigs/gateway-api, conformance/tests/httproute-*.go), each against its manifest restated
 * as a Gatehouse route table. Backends are named as in the suite (infra-backend-v1…v3); 404 means no
 * route. Listener hostnames have no Gatehouse counterpart: where a test depends on them, the cases
 * that exercise route hostnames alone are kept, and the listener's hostname becomes the route's.
 */
import { describe, expect, it } from "vitest";
import { backendOf, compileRoutes, describeRequest, type TestRequest, to } from "./support.ts";

const v1 = "infra-backend-v1";
const v2 = "infra-backend-v2";
const v3 = "infra-backend-v3";

type Case = [request: TestRequest, expected: string | 404];

function conformance(name: string, routes: Parameters<typeof compileRoutes>[0], cases: Case[]) {
  describe(name, () => {
    const compiled = compileRoutes(routes);
    it.each(cases.map(([request, expected]) => [describeRequest(request), request, expected] as const))(
      "%s",
      (_label, request, expected) => {
        expect(backendOf(compiled, request)).toBe(expected);
      },
    );
  });
}

conformance(
  "HTTPExactPathMatching",
  [
    {
      id: "exact-matching",
      rules: [
        to(v1, [{ path: { type: "Exact", value: "/one" } }]),
        to(v2, [{ path: { type: "Exact", value: "/two" } }]),
      ],
    },
  ],
  [
    [{ path: "/one" }, v1],
    [{ path: "/two" }, v2],
    [{ path: "/" }, 404],
    [{ path: "/one/example" }, 404],
    [{ path: "/two/" }, 404],
    [{ path: "/Two" }, 404],
  ],
);

conformance(
  "HTTPRouteMatching",
  [
    {
      id: "matching",
      rules: [
        to(v1, [
          { path: { type: "PathPrefix", value: "/" } },
          { headers: [{ name: "version", value: "one" }] },
        ]),
        to(v2, [
          { path: { type: "PathPrefix", value: "/v2" } },
          { headers: [{ name: "version", value: "two" }] },
        ]),
      ],
    },
  ],
  [
    [{ path: "/" }, v1],
    [{ path: "/example" }, v1],
    [{ path: "/", headers: { Version: "one" } }, v1],
    [{ path: "/v2" }, v2],
    [{ path: "/v2/example" }, v2],
    [{ path: "/", headers: { Version: "two" } }, v2],
  ],
);

conformance(
  "HTTPRouteHeaderMatching",
  [
    {
      id: "header-matching",
      rules: [
        to(v1, [{ headers: [{ name: "Version", value: "one" }] }]),
        to(v2, [{ headers: [{ name: "Version", value: "two" }] }]),
        to(v1, [
          {
            headers: [
              { name: "Version", value: "two" },
              { name: "Color", value: "orange" },
            ],
          },
        ]),
        to(v1, [
          { headers: [{ name: "Color", value: "blue" }] },
          { headers: [{ name: "Color", value: "green" }] },
        ]),
        to(v2, [
          { headers: [{ name: "Color", value: "red" }] },
          { headers: [{ name: "Color", value: "yellow" }] },
        ]),
      ],
    },
  ],
  [
    [{ path: "/", headers: { Version: "one" } }, v1],
    [{ path: "/", headers: { Version: "two" } }, v2],
    [{ path: "/", headers: { Version: "two", Color: "orange" } }, v1],
    [{ path: "/", headers: { Version: "two", Color: "blue" } }, v2],
    [{ path: "/", headers: { Color: "orange" } }, 404],
    [{ path: "/", headers: { "Some-Other-Header": "one" } }, 404],
    [{ path: "/", headers: { Color: "blue" } }, v1],
    [{ path: "/", headers: { Color: "green" } }, v1],
    [{ path: "/", headers: { Color: "red" } }, v2],
    [{ path: "/", headers: { Color: "yellow" } }, v2],
    [{ path: "/", headers: { Color: "purple" } }, 404],
  ],
);

conformance(
  "HTTPRouteQueryParamMatching",
  [
    {
      id: "query-param-matching",
      rules: [
        to(v1, [{ queryParams: [{ name: "animal", value: "whale" }] }]),
        to(v2, [{ queryParams: [{ name: "animal", value: "dolphin" }] }]),
        to(v3, [
          {
            queryParams: [
              { name: "animal", value: "dolphin" },
              { name: "color", value: "blue" },
            ],
          },
          { queryParams: [{ name: "ANIMAL", value: "Whale" }] },
        ]),
        // Combinations with core match types.
        to(v1, [
          {
            path: { type: "PathPrefix", value: "/path1" },
            queryParams: [{ name: "animal", value: "whale" }],
          },
        ]),
        to(v2, [
          { headers: [{ name: "version", value: "one" }], queryParams: [{ name: "animal", value: "whale" }] },
        ]),
        to(v3, [
          {
            path: { type: "PathPrefix", value: "/path2" },
            headers: [{ name: "version", value: "two" }],
            queryParams: [{ name: "animal", value: "whale" }],
          },
        ]),
        // (cond1 AND cond2) OR (cond3 AND cond4 AND cond5)
        to(v1, [
          {
            path: { type: "PathPrefix", value: "/path3" },
            queryParams: [{ name: "animal", value: "shark" }],
          },
          {
            path: { type: "PathPrefix", value: "/path4" },
            headers: [{ name: "version", value: "three" }],
            queryParams: [{ name: "animal", value: "kraken" }],
          },
        ]),
        // Precedence.
        to(v1, [{ path: { type: "PathPrefix", value: "/path5" } }]),
        to(v2, [{ queryParams: [{ name: "animal", value: "hydra" }] }]),
        to(v3, [{ headers: [{ name: "version", value: "four" }] }]),
      ],
    },
  ],
  [
    [{ path: "/?animal=whale" }, v1],
    [{ path: "/?animal=dolphin" }, v2],
    [{ path: "/?animal=dolphin&color=blue" }, v3],
    [{ path: "/?ANIMAL=Whale" }, v3],
    [{ path: "/?animal=whale&otherparam=irrelevant" }, v1],
    [{ path: "/?animal=dolphin&color=yellow" }, v2],
    [{ path: "/?color=blue" }, 404],
    [{ path: "/?animal=dog" }, 404],
    [{ path: "/?animal=whaledolphin" }, 404],
    [{ path: "/" }, 404],
    [{ path: "/path1?animal=whale" }, v1],
    [{ path: "/?animal=whale", headers: { version: "one" } }, v2],
    [{ path: "/path2?animal=whale", headers: { version: "two" } }, v3],
    [{ path: "/path3?animal=shark" }, v1],
    [{ path: "/path4?animal=kraken", headers: { version: "three" } }, v1],
    [{ path: "/?animal=shark" }, 404],
    [{ path: "/path4?animal=kraken" }, 404],
    [{ path: "/path5?animal=hydra" }, v1],
    [{ path: "/?animal=hydra", headers: { version: "four" } }, v3],
  ],
);

conformance(
  "HTTPRouteMethodMatching",
  [
    {
      id: "method-matching",
      rules: [
        to(v1, [{ method: "POST" }]),
        to(v2, [{ method: "GET" }]),
        // Combinations with core match types.
        to(v1, [{ path: { type: "PathPrefix", value: "/path1" }, method: "GET" }]),
        to(v2, [{ headers: [{ name: "version", value: "one" }], method: "PUT" }]),
        to(v3, [
          {
            path: { type: "PathPrefix", value: "/path2" },
            headers: [{ name: "version", value: "two" }],
            method: "POST",
          },
        ]),
        // (cond1 AND cond2) OR (cond3 AND cond4 AND cond5)
        to(v1, [
          { path: { type: "PathPrefix", value: "/path3" }, method: "PATCH" },
          {
            path: { type: "PathPrefix", value: "/path4" },
            headers: [{ name: "version", value: "three" }],
            method: "DELETE",
          },
        ]),
        // Precedence.
        to(v1, [{ path: { type: "PathPrefix", value: "/path5" } }]),
        to(v2, [{ method: "PATCH" }]),
        to(v3, [{ headers: [{ name: "version", value: "four" }] }]),
      ],
    },
  ],
  [
    [{ method: "POST", path: "/" }, v1],
    [{ method: "GET", path: "/" }, v2],
    [{ method: "HEAD", path: "/" }, 404],
    [{ method: "GET", path: "/path1" }, v1],
    [{ method: "PUT", path: "/", headers: { version: "one" } }, v2],
    [{ method: "POST", path: "/path2", headers: { version: "two" } }, v3],
    [{ method: "PATCH", path: "/path3" }, v1],
    [{ method: "DELETE", path: "/path4", headers: { version: "three" } }, v1],
    [{ method: "PUT", path: "/" }, 404],
    [{ method: "DELETE", path: "/path4" }, 404],
    [{ method: "PATCH", path: "/path5" }, v1],
    [{ method: "PATCH", path: "/", headers: { version: "four" } }, v2],
  ],
);

conformance(
  "HTTPRouteMatchingAcrossRoutes",
  [
    {
      id: "matching-part1",
      hostnames: ["example.com", "example.net"],
      rules: [
        to(v1, [
          { path: { type: "PathPrefix", value: "/" } },
          { headers: [{ name: "version", value: "one" }] },
        ]),
      ],
    },
    {
      id: "matching-part2",
      hostnames: ["example.com"],
      rules: [
        to(v2, [
          { path: { type: "PathPrefix", value: "/v2" } },
          { headers: [{ name: "version", value: "two" }] },
        ]),
      ],
    },
  ],
  [
    [{ host: "example.com", path: "/" }, v1],
    [{ host: "example.com", path: "/example" }, v1],
    [{ host: "example.net", path: "/example" }, v1],
    [{ host: "example.com", path: "/example", headers: { Version: "one" } }, v1],
    [{ host: "example.com", path: "/v2" }, v2],
    [{ host: "example.net", path: "/v2" }, v1],
    [{ host: "example.com", path: "/v2/example" }, v2],
    [{ host: "example.com", path: "/", headers: { Version: "two" } }, v2],
  ],
);

conformance(
  "HTTPRoutePathMatchOrder",
  [
    {
      id: "path-matching-order",
      rules: [
        to(v1, [{ path: { type: "Exact", value: "/match" } }]),
        to(v2, [{ path: { type: "Exact", value: "/match/exact" } }]),
        to(v3, [{ path: { type: "Exact", value: "/match/exact/one" } }]),
        to(v3, [{ path: { type: "PathPrefix", value: "/match/" } }]),
        to(v1, [{ path: { type: "PathPrefix", value: "/match/prefix/" } }]),
        to(v2, [{ path: { type: "PathPrefix", value: "/match/prefix/one" } }]),
      ],
    },
  ],
  [
    [{ path: "/match/exact/one" }, v3],
    [{ path: "/match/exact" }, v2],
    [{ path: "/match" }, v1],
    [{ path: "/match/prefix/one/any" }, v2],
    [{ path: "/match/prefix/any" }, v1],
    [{ path: "/match/any" }, v3],
  ],
);

// HTTPRouteListenerHostnameMatching: four listeners (bar.com, foo.bar.com, *.bar.com, *.foo.com), one
// route per listener. The listener hostnames become route hostnames; the outcome must be the same.
conformance(
  "HTTPRouteListenerHostnameMatching (as route hostnames)",
  [
    { id: "backend-v1", hostnames: ["bar.com"], rules: [to(v1)] },
    { id: "backend-v2", hostnames: ["foo.bar.com"], rules: [to(v2)] },
    { id: "backend-v3", hostnames: ["*.bar.com", "*.foo.com"], rules: [to(v3)] },
  ],
  [
    [{ host: "bar.com", path: "/" }, v1],
    [{ host: "foo.bar.com", path: "/" }, v2],
    [{ host: "baz.bar.com", path: "/" }, v3],
    [{ host: "boo.bar.com", path: "/" }, v3],
    [{ host: "multiple.prefixes.bar.com", path: "/" }, v3],
    [{ host: "multiple.prefixes.foo.com", path: "/" }, v3],
    [{ host: "foo.com", path: "/" }, 404],
    [{ host: "no.matching.host", path: "/" }, 404],
  ],
);

// HTTPRouteHostnameIntersection: the route-hostname half (the listener-intersection half needs
// listeners). A gateway without listener hostnames serves the route's names exactly; wildcard routes
// match one or more labels and never their bare suffix.
conformance(
  "HTTPRouteHostnameIntersection (route hostnames)",
  [
    {
      id: "httproute-hostname-intersection-all",
      hostnames: ["first.com", "sub.first.com", "second.com", "sub.second.com"],
      rules: [to(v2)],
    },
    {
      id: "wildcard-host-matches-listener-wildcard-host",
      hostnames: ["*.anotherwildcard.io"],
      rules: [to(v1, [{ path: { type: "PathPrefix", value: "/s4" } }])],
    },
    {
      id: "wildcard-host-matches-listener-specific-host",
      hostnames: ["non.matching.com", "*.specific.com"],
      rules: [to(v3, [{ path: { type: "PathPrefix", value: "/s3" } }])],
    },
  ],
  [
    [{ host: "first.com", path: "/" }, v2],
    [{ host: "sub.first.com", path: "/" }, v2],
    [{ host: "second.com", path: "/" }, v2],
    [{ host: "sub.second.com", path: "/" }, v2],
    [{ host: "third.com", path: "/" }, 404],
    [{ host: "sub.third.com", path: "/" }, 404],
    [{ host: "foo.anotherwildcard.io", path: "/s4" }, v1],
    [{ host: "bar.anotherwildcard.io", path: "/s4" }, v1],
    [{ host: "foo.bar.anotherwildcard.io", path: "/s4" }, v1],
    [{ host: "anotherwildcard.io", path: "/s4" }, 404],
    [{ host: "foo.anotherwildcard.io", path: "/non-matching-prefix" }, 404],
    [{ host: "very.specific.com", path: "/s3" }, v3],
    [{ host: "very.specific.com:1234", path: "/s3" }, v3],
    [{ host: "specific.com", path: "/s3" }, 404],
  ],
);
