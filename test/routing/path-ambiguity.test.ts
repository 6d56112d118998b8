/**
 * The ambiguity check (`src/routing/path-ambiguity.ts`) on the shape of the shipped example: a
 * protected prefix and an open catch-all on the same cluster. A reading that lands on a differently
 * protected rule is found; readings that land on equally protected rules, hosts whose rules all share
 * one protection, and relaxed readings are not.
 */
import { describe, expect, it } from "vitest";
import type { RouteTableInput } from "../../src/config/schema.ts";
import { findAmbiguity, matchRoute } from "../../src/routing/index.ts";
import { compileRoutes, matchInput, type RoutesInput, type TestRequest } from "./support.ts";

const AUTH = { provider: "demo" };
const PROVIDERS = { demo: { secret: { binding: "S" }, algorithms: ["HS256" as const] } };

function tableOf(routes: RoutesInput, rest: Partial<RouteTableInput> = {}) {
  return compileRoutes(routes, {
    providers: PROVIDERS,
    clusters: { app: { endpoints: [{ url: "http://127.0.0.1:9001" }] } },
    ...rest,
  });
}

/** `/private` protected and `/` open on api.test; everything else open through a catch-all route. */
const shippedShape = (rest: Partial<RouteTableInput> = {}) =>
  tableOf(
    [
      {
        id: "api",
        hostnames: ["api.test"],
        rules: [
          { matches: [{ path: { value: "/Admin" } }], backendRefs: [{ name: "app" }], auth: AUTH },
          { matches: [{ path: { value: "/private" } }], backendRefs: [{ name: "app" }], auth: AUTH },
          { matches: [{ path: { value: "/docs" } }], backendRefs: [{ name: "app" }] },
        ],
      },
      { id: "fallback", rules: [{ backendRefs: [{ name: "app" }] }] },
    ],
    rest,
  );

function ambiguity(compiled: ReturnType<typeof tableOf>, request: TestRequest) {
  const input = matchInput(request);
  const match = matchRoute(compiled, input);
  if (!match) throw new Error("no match");
  const found = findAmbiguity(compiled, input, match);
  return found && { reading: found.reading, path: found.path };
}

describe("findAmbiguity", () => {
  const compiled = shippedShape();

  it.each([
    ["/private;x/data", "semicolonParameters", "/private/data"],
    ["/PRIVATE/data", "caseInsensitive", "/private/data"],
    ["/admin/users", "caseInsensitive", "/admin/users"],
    ["/private./data", "trailingDotsAndSpaces", "/private/data"],
    ["/private%20/data", "trailingDotsAndSpaces", "/private/data"],
    ["/pri%E2%80%8Bvate/data", "invisibleCharacters", "/private/data"],
    ["/pri%09vate", "invisibleCharacters", "/private"],
    ["/docs/%252E%252E/private", "doubleDecoding", "/private"],
    ["/docs/%25C0%25AE%25C0%25AE/private", "doubleDecoding", "/private"],
    ["/Private;x./data", "semicolonParameters+caseInsensitive", "/private/data"],
    ["/admin;x/users", "semicolonParameters+caseInsensitive", "/admin/users"],
  ])("finds %s: %s reads it as %s", (path, reading, read) => {
    expect(ambiguity(compiled, { host: "api.test", path })).toEqual({ reading, path: read });
  });

  it("finds a path an origin that decodes twice cannot read (NUL), on a host with differing protection", () => {
    expect(ambiguity(compiled, { host: "api.test", path: "/docs/a%2500" })).toEqual({
      reading: "doubleDecoding",
      path: undefined,
    });
  });

  it("finds nothing for ordinary paths, or readings that land on equally protected rules", () => {
    for (const path of [
      "/private/data",
      "/docs/Guide.PDF",
      "/docs/a;b",
      "/Docs/x",
      "/x/y./z",
      "/private/A;b",
    ]) {
      expect([path, ambiguity(compiled, { host: "api.test", path })]).toEqual([path, undefined]);
    }
  });

  it("checks nothing on a host whose rules all share one protection", () => {
    const open = tableOf(
      [
        { id: "a", hostnames: ["open.test"], rules: [{ backendRefs: [{ name: "app" }] }] },
        { id: "b", hostnames: ["locked.test"], rules: [{ backendRefs: [{ name: "app" }], auth: AUTH }] },
      ],
      {},
    );
    expect(open.ambiguity).toBeDefined();
    expect(ambiguity(open, { host: "open.test", path: "/PRIVATE;x" })).toBeUndefined();
    expect(ambiguity(open, { host: "locked.test", path: "/PRIVATE;x" })).toBeUndefined();
  });

  it("compiles no plan at all for a table whose rules are all equally protected", () => {
    const allOpen = tableOf([{ id: "a", rules: [{ backendRefs: [{ name: "app" }] }] }]);
    expect(allOpen.ambiguity).toBeUndefined();
  });

  it("compares TLS policy too: a client-certificate rule and an open one differ", () => {
    const tls = tableOf([
      {
        id: "mtls",
        hostnames: ["api.test"],
        tls: { clientCertificate: { mode: "Require" } },
        rules: [{ matches: [{ path: { value: "/private" } }], backendRefs: [{ name: "app" }] }],
      },
      { id: "open", hostnames: ["api.test"], rules: [{ backendRefs: [{ name: "app" }] }] },
    ]);
    expect(ambiguity(tls, { host: "api.test", path: "/private;x" })).toEqual({
      reading: "semicolonParameters",
      path: "/private",
    });
  });

  it("skips readings the table or the cluster relaxes, by name", () => {
    const relaxedTable = shippedShape({
      paths: { readings: { semicolonParameters: false, caseInsensitive: false } },
    });
    expect(ambiguity(relaxedTable, { host: "api.test", path: "/private;x/data" })).toBeUndefined();
    expect(ambiguity(relaxedTable, { host: "api.test", path: "/PRIVATE/data" })).toBeUndefined();
    expect(ambiguity(relaxedTable, { host: "api.test", path: "/private./data" })).toBeDefined();

    const relaxedCluster = shippedShape({
      paths: { readings: { semicolonParameters: false } },
      clusters: {
        app: { endpoints: [{ url: "http://127.0.0.1:9001" }], pathReadings: { semicolonParameters: true } },
      },
    });
    expect(ambiguity(relaxedCluster, { host: "api.test", path: "/private;x/data" })).toBeDefined();
  });
});

describe("traffic policy is protection too", () => {
  const limited = (rest: Partial<RouteTableInput> = {}) =>
    tableOf(
      [
        {
          id: "site",
          hostnames: ["site.test"],
          rules: [
            {
              name: "login",
              matches: [{ path: { value: "/login" } }],
              backendRefs: [{ name: "app" }],
              rateLimit: [{ requests: 5, period: "60s", key: "clientAddress" }],
            },
            {
              name: "office",
              matches: [{ path: { value: "/office" } }],
              backendRefs: [{ name: "app" }],
              clientAddresses: { allow: ["10.0.0.0/8"] },
            },
            { name: "rest", backendRefs: [{ name: "app" }] },
          ],
        },
      ],
      rest,
    );

  it("finds a path that would escape a rule's rate limit or address rules on the same origin", () => {
    const compiled = limited();
    expect(ambiguity(compiled, { host: "site.test", path: "/LOGIN" })).toEqual({
      reading: "caseInsensitive",
      path: "/login",
    });
    expect(ambiguity(compiled, { host: "site.test", path: "/office;x" })).toEqual({
      reading: "semicolonParameters",
      path: "/office",
    });
  });

  it("finds nothing when the table's defaults give every rule the same policy", () => {
    const compiled = tableOf(
      [
        {
          id: "site",
          hostnames: ["site.test"],
          rules: [
            { matches: [{ path: { value: "/login" } }], backendRefs: [{ name: "app" }] },
            { backendRefs: [{ name: "app" }] },
          ],
        },
      ],
      { defaults: { rateLimit: [{ requests: 5, period: "60s", key: "clientAddress" }] } },
    );
    expect(ambiguity(compiled, { host: "site.test", path: "/LOGIN" })).toBeUndefined();
  });
});
