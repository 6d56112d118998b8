/**
 * URLRewrite paths and RequestRedirect locations: the Gateway API `HTTPPathModifier` table, then the
 * conformance suites HTTPRouteRewritePath and HTTPRouteRedirect{Path,HostAndStatus,Port,Scheme,
 * PortAndScheme}, each through the real matcher (the prefix that is replaced is the one that held).
 */
import { describe, expect, it } from "vitest";
import type { Filter, PathModifier } from "../../src/config/schema.ts";
import { type RedirectSource, redirectLocation, rewritePath } from "../../src/routing/index.ts";
import {
  compileRoutes,
  describeRequest,
  matchInput,
  type RoutesInput,
  route,
  type TestRequest,
} from "./support.ts";

const replacePrefix = (replacePrefixMatch: string): PathModifier => ({
  type: "ReplacePrefixMatch",
  replacePrefixMatch,
});
const replaceFull = (replaceFullPath: string): PathModifier => ({ type: "ReplaceFullPath", replaceFullPath });
const prefix = (value: string) => ({ type: "PathPrefix" as const, value });

describe("rewritePath", () => {
  // Gateway API, HTTPPathModifier.ReplacePrefixMatch, and the contract's examples.
  it.each([
    ["/foo/bar", "/foo", "/xyz", "/xyz/bar"],
    ["/foo/bar", "/foo", "/xyz/", "/xyz/bar"],
    ["/foo/bar", "/foo/", "/xyz", "/xyz/bar"],
    ["/foo/bar", "/foo/", "/xyz/", "/xyz/bar"],
    ["/foo", "/foo", "/xyz", "/xyz"],
    ["/foo/", "/foo", "/xyz", "/xyz/"],
    ["/foo/bar", "/foo", "/", "/bar"],
    ["/foo/", "/foo", "/", "/"],
    ["/foo", "/foo", "/", "/"],
    ["/foo/bar/baz", "/foo/bar", "/x/y", "/x/y/baz"],
    ["/anything/else", "/", "/xyz", "/xyz/anything/else"],
    ["/", "/", "/xyz", "/xyz"],
    ["/", "/", "/", "/"],
  ])("%s with prefix %s replaced by %s → %s", (path, matched, replacement, expected) => {
    expect(rewritePath(path, prefix(matched), replacePrefix(replacement))).toBe(expected);
  });

  it('replaces the prefix with "" as the spec\'s table does: /foo → "" turns /foo/bar into /bar', () => {
    expect(rewritePath("/foo/bar", prefix("/foo"), replacePrefix(""))).toBe("/bar");
    expect(rewritePath("/foo", prefix("/foo"), replacePrefix(""))).toBe("/");
    expect(rewritePath("/foo/", prefix("/foo/"), replacePrefix(""))).toBe("/");
  });

  it("replaces the whole path for ReplaceFullPath, whatever matched", () => {
    expect(rewritePath("/foo/bar", prefix("/foo"), replaceFull("/one"))).toBe("/one");
    expect(
      rewritePath("/users/42", { type: "RegularExpression", value: "/users/[0-9]+" }, replaceFull("/u")),
    ).toBe("/u");
  });

  it("treats the whole path as matched when the match was not a prefix", () => {
    expect(rewritePath("/exact", { type: "Exact", value: "/exact" }, replacePrefix("/new"))).toBe("/new");
  });
});

function urlRewrite(path: PathModifier): Filter {
  return { type: "URLRewrite", urlRewrite: { path } };
}

function rewriteRule(matchPrefix: string, modifier: PathModifier) {
  return {
    matches: [{ path: prefix(matchPrefix) }],
    filters: [urlRewrite(modifier)],
    backendRefs: [{ name: "infra-backend-v1" }],
  };
}

describe("HTTPRouteRewritePath", () => {
  const compiled = compileRoutes([
    {
      id: "rewrite-path",
      rules: [
        rewriteRule("/prefix/one", replacePrefix("/one")),
        rewriteRule("/full/one", replaceFull("/one")),
        rewriteRule("/full/rewrite-path-and-modify-headers", replaceFull("/test")),
        rewriteRule("/prefix/rewrite-path-and-modify-headers", replacePrefix("/prefix")),
        rewriteRule("/strip-prefix", replacePrefix("/")),
      ],
    },
  ]);

  it.each([
    ["/prefix/one/two", "/one/two"],
    ["/full/one/two", "/one"],
    ["/full/rewrite-path-and-modify-headers/test", "/test"],
    ["/prefix/rewrite-path-and-modify-headers/one", "/prefix/one"],
    ["/strip-prefix/three", "/three"],
    ["/strip-prefix", "/"],
  ])("%s reaches the backend as %s", (path, expected) => {
    const match = route(compiled, { path });
    const filter = match?.rule.filters[0];
    if (match === undefined || filter?.type !== "URLRewrite" || filter.urlRewrite.path === undefined) {
      throw new Error("expected a URLRewrite rule to match");
    }
    expect(rewritePath(matchInput({ path }).path, match.pathMatch, filter.urlRewrite.path)).toBe(expected);
  });
});

type Redirect = Extract<Filter, { type: "RequestRedirect" }>["requestRedirect"];
type RedirectInput = Omit<Redirect, "statusCode"> & { statusCode?: Redirect["statusCode"] };

function redirectRule(matchPrefix: string, requestRedirect: RedirectInput) {
  return {
    matches: [{ path: prefix(matchPrefix) }],
    filters: [{ type: "RequestRedirect" as const, requestRedirect }],
  };
}

interface Expected {
  status: number;
  location: string;
}

/** Matches the request, then builds its answer as the worker and `explain` do. */
function redirectFor(routes: RoutesInput, request: TestRequest, scheme = "http"): Expected {
  const compiled = compileRoutes(routes);
  const match = route(compiled, request);
  const filter = match?.rule.filters.find((f) => f.type === "RequestRedirect");
  if (match === undefined || filter?.type !== "RequestRedirect") throw new Error("expected a redirect rule");
  const url = new URL(request.path, `${scheme}://${request.host ?? "gateway.test"}`);
  const source: RedirectSource = {
    scheme: url.protocol,
    hostname: url.hostname,
    port: url.port,
    path: matchInput(request).path,
    search: url.search,
  };
  return {
    status: filter.requestRedirect.statusCode,
    location: redirectLocation(source, match.pathMatch, filter.requestRedirect),
  };
}

function redirectSuite(name: string, routes: RoutesInput, cases: [TestRequest, Expected][], scheme = "http") {
  describe(name, () => {
    it.each(cases.map(([request, expected]) => [describeRequest(request), request, expected] as const))(
      "%s",
      (_label, request, expected) => {
        expect(redirectFor(routes, request, scheme)).toEqual(expected);
      },
    );
  });
}

redirectSuite(
  "HTTPRouteRedirectPath",
  [
    {
      id: "redirect-path",
      rules: [
        redirectRule("/original-prefix", { path: replacePrefix("/replacement-prefix") }),
        redirectRule("/full", { path: replaceFull("/full-path-replacement") }),
        redirectRule("/path-and-host", {
          hostname: "example.org",
          path: replacePrefix("/replacement-prefix"),
        }),
        redirectRule("/path-and-status", { path: replacePrefix("/replacement-prefix"), statusCode: 301 }),
        redirectRule("/full-path-and-host", {
          hostname: "example.org",
          path: replaceFull("/replacement-full"),
        }),
        redirectRule("/full-path-and-status", { path: replaceFull("/replacement-full"), statusCode: 301 }),
      ],
    },
  ],
  [
    [
      { path: "/original-prefix/lemon" },
      { status: 302, location: "http://gateway.test/replacement-prefix/lemon" },
    ],
    [{ path: "/full/path/original" }, { status: 302, location: "http://gateway.test/full-path-replacement" }],
    [{ path: "/path-and-host" }, { status: 302, location: "http://example.org/replacement-prefix" }],
    [{ path: "/path-and-status" }, { status: 301, location: "http://gateway.test/replacement-prefix" }],
    [{ path: "/full-path-and-host" }, { status: 302, location: "http://example.org/replacement-full" }],
    [{ path: "/full-path-and-status" }, { status: 301, location: "http://gateway.test/replacement-full" }],
    // The query string is kept.
    [
      { path: "/original-prefix/lemon?x=1&y=%20" },
      { status: 302, location: "http://gateway.test/replacement-prefix/lemon?x=1&y=%20" },
    ],
  ],
);

redirectSuite(
  "HTTPRouteRedirectHostAndStatus",
  [
    {
      id: "redirect-host-and-status",
      rules: [
        redirectRule("/hostname-redirect", { hostname: "example.org" }),
        redirectRule("/host-and-status", { hostname: "example.org", statusCode: 301 }),
      ],
    },
  ],
  [
    [{ path: "/hostname-redirect" }, { status: 302, location: "http://example.org/hostname-redirect" }],
    [{ path: "/host-and-status" }, { status: 301, location: "http://example.org/host-and-status" }],
  ],
);

redirectSuite(
  "HTTPRouteRedirectPort",
  [
    {
      id: "redirect-port",
      rules: [
        redirectRule("/port", { port: 8083 }),
        redirectRule("/port-and-host", { hostname: "example.org", port: 8083 }),
        redirectRule("/port-and-status", { port: 8083, statusCode: 301 }),
        redirectRule("/port-and-host-and-status", { port: 8083, hostname: "example.org", statusCode: 302 }),
      ],
    },
  ],
  [
    [{ path: "/port" }, { status: 302, location: "http://gateway.test:8083/port" }],
    [{ path: "/port-and-host" }, { status: 302, location: "http://example.org:8083/port-and-host" }],
    [{ path: "/port-and-status" }, { status: 301, location: "http://gateway.test:8083/port-and-status" }],
    [
      { path: "/port-and-host-and-status" },
      { status: 302, location: "http://example.org:8083/port-and-host-and-status" },
    ],
  ],
);

redirectSuite(
  "HTTPRouteRedirectScheme",
  [
    {
      id: "redirect-scheme",
      rules: [
        redirectRule("/scheme", { scheme: "https" }),
        redirectRule("/scheme-and-host", { scheme: "https", hostname: "example.org" }),
        redirectRule("/scheme-and-status", { scheme: "https", statusCode: 301 }),
        redirectRule("/scheme-and-host-and-status", {
          scheme: "https",
          hostname: "example.org",
          statusCode: 302,
        }),
      ],
    },
  ],
  [
    [{ path: "/scheme" }, { status: 302, location: "https://gateway.test/scheme" }],
    [{ path: "/scheme-and-host" }, { status: 302, location: "https://example.org/scheme-and-host" }],
    [{ path: "/scheme-and-status" }, { status: 301, location: "https://gateway.test/scheme-and-status" }],
    [
      { path: "/scheme-and-host-and-status" },
      { status: 302, location: "https://example.org/scheme-and-host-and-status" },
    ],
  ],
);

// HTTPRouteRedirectPortAndScheme: the same rules behind listeners on :80, :8080 and https :443. A
// request's own port stands for the listener's.
const portAndScheme: RoutesInput = [
  {
    id: "port-and-scheme",
    rules: [
      redirectRule("/scheme-nil-and-port-nil", { hostname: "example.org" }),
      redirectRule("/scheme-nil-and-port-80", { hostname: "example.org", port: 80 }),
      redirectRule("/scheme-nil-and-port-443", { hostname: "example.org", port: 443 }),
      redirectRule("/scheme-nil-and-port-8080", { hostname: "example.org", port: 8080 }),
      redirectRule("/scheme-nil-and-port-8443", { hostname: "example.org", port: 8443 }),
      redirectRule("/scheme-https-and-port-nil", { hostname: "example.org", scheme: "https" }),
      redirectRule("/scheme-https-and-port-443", { hostname: "example.org", scheme: "https", port: 443 }),
      redirectRule("/scheme-https-and-port-8443", { hostname: "example.org", scheme: "https", port: 8443 }),
      redirectRule("/scheme-http-and-port-nil", { hostname: "example.org", scheme: "http" }),
      redirectRule("/scheme-http-and-port-80", { hostname: "example.org", scheme: "http", port: 80 }),
      redirectRule("/scheme-http-and-port-8080", { hostname: "example.org", scheme: "http", port: 8080 }),
    ],
  },
];
const found = (location: string): Expected => ({ status: 302, location });

redirectSuite("HTTPRouteRedirectPortAndScheme, listener http :80", portAndScheme, [
  [{ path: "/scheme-nil-and-port-nil" }, found("http://example.org/scheme-nil-and-port-nil")],
  [{ path: "/scheme-nil-and-port-80" }, found("http://example.org/scheme-nil-and-port-80")],
  [{ path: "/scheme-nil-and-port-8080" }, found("http://example.org:8080/scheme-nil-and-port-8080")],
  [{ path: "/scheme-https-and-port-nil" }, found("https://example.org/scheme-https-and-port-nil")],
  [{ path: "/scheme-https-and-port-443" }, found("https://example.org/scheme-https-and-port-443")],
  [{ path: "/scheme-https-and-port-8443" }, found("https://example.org:8443/scheme-https-and-port-8443")],
]);

redirectSuite("HTTPRouteRedirectPortAndScheme, listener http :8080", portAndScheme, [
  [
    { host: "gw:8080", path: "/scheme-nil-and-port-nil" },
    found("http://example.org:8080/scheme-nil-and-port-nil"),
  ],
  [{ host: "gw:8080", path: "/scheme-nil-and-port-80" }, found("http://example.org/scheme-nil-and-port-80")],
  [
    { host: "gw:8080", path: "/scheme-https-and-port-nil" },
    found("https://example.org/scheme-https-and-port-nil"),
  ],
]);

redirectSuite(
  "HTTPRouteRedirectPortAndScheme, listener https :443",
  portAndScheme,
  [
    [{ path: "/scheme-nil-and-port-nil" }, found("https://example.org/scheme-nil-and-port-nil")],
    [{ path: "/scheme-nil-and-port-443" }, found("https://example.org/scheme-nil-and-port-443")],
    [{ path: "/scheme-nil-and-port-8443" }, found("https://example.org:8443/scheme-nil-and-port-8443")],
    [{ path: "/scheme-http-and-port-nil" }, found("http://example.org/scheme-http-and-port-nil")],
    [{ path: "/scheme-http-and-port-80" }, found("http://example.org/scheme-http-and-port-80")],
    [{ path: "/scheme-http-and-port-8080" }, found("http://example.org:8080/scheme-http-and-port-8080")],
  ],
  "https",
);

describe("redirectLocation", () => {
  const source: RedirectSource = { scheme: "https", hostname: "a.test", port: "", path: "/p", search: "" };

  it("keeps the request's parts the filter leaves alone", () => {
    expect(redirectLocation(source, prefix("/"), { statusCode: 302 })).toBe("https://a.test/p");
    expect(
      redirectLocation({ ...source, port: "8443", search: "?q=1" }, prefix("/"), { statusCode: 302 }),
    ).toBe("https://a.test:8443/p?q=1");
  });

  it("accepts URL.protocol's trailing colon and brackets an IPv6 host", () => {
    expect(redirectLocation({ ...source, scheme: "http:" }, prefix("/"), { statusCode: 302 })).toBe(
      "http://a.test/p",
    );
    expect(redirectLocation({ ...source, hostname: "[::1]" }, prefix("/"), { statusCode: 302 })).toBe(
      "https://[::1]/p",
    );
    expect(redirectLocation(source, prefix("/"), { hostname: "2001:db8::1", statusCode: 302 })).toBe(
      "https://[2001:db8::1]/p",
    );
  });
});
