/**
 * The compiled matcher against a reference written straight from the contract: keep every match of
 * every rule whose route's hostnames cover the host and whose conditions hold, sort by the contract's
 * keys, take the first. Random tables (exact and wildcard hosts, routes without hostnames, the three
 * path types, methods, headers, query parameters) and random requests.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type RouteTable, type RouteTableInput, RouteTableSchema } from "../../src/config/schema.ts";
import { compileRouteTable, matchRoute, normalizeHost } from "../../src/routing/index.ts";

// ---------------------------------------------------------------------------------------------------
// The reference: no indexes, no precomputation, one pass over the whole table per request.

interface ReferenceRequest {
  method: string;
  host: string;
  path: string;
  headers: Record<string, string>;
  query: [string, string][];
}

interface Found {
  routeIndex: number;
  ruleIndex: number;
  matchIndex: number;
}

function referenceMatch(table: RouteTable, request: ReferenceRequest): Found | undefined {
  const host = normalizeHost(request.host);
  const found: { tier: number[]; key: number[]; at: Found }[] = [];
  table.routes.forEach((route, routeIndex) => {
    const tier = hostnameTier(route.hostnames ?? [], host);
    if (tier === undefined) return;
    route.rules.forEach((rule, ruleIndex) => {
      const matches = rule.matches?.length ? rule.matches : [{}];
      matches.forEach((match, matchIndex) => {
        const path = match.path ?? { type: "PathPrefix", value: "/" };
        const headers = firstOfEachName(match.headers ?? [], (name) => name.toLowerCase());
        const queryParams = firstOfEachName(match.queryParams ?? [], (name) => name);
        if (!pathHolds(path, request.path)) return;
        if (match.method !== undefined && match.method !== request.method) return;
        const headerValue = (name: string) =>
          Object.entries(request.headers).find(([n]) => n.toLowerCase() === name)?.[1];
        const queryValue = (name: string) => request.query.find(([n]) => n === name)?.[1];
        if (!headers.every((h) => valueHolds(h, headerValue(h.name.toLowerCase())))) return;
        if (!queryParams.every((q) => valueHolds(q, queryValue(q.name)))) return;
        const kind = { Exact: 0, RegularExpression: 1, PathPrefix: 2 }[path.type];
        const length =
          path.type === "RegularExpression"
            ? path.value.length
            : path.type === "PathPrefix"
              ? trimSlash(path.value).length
              : 0;
        found.push({
          tier,
          key: [
            kind,
            -length,
            match.method ? 0 : 1,
            -headers.length,
            -queryParams.length,
            routeIndex,
            ruleIndex,
            matchIndex,
          ],
          at: { routeIndex, ruleIndex, matchIndex },
        });
      });
    });
  });
  found.sort((a, b) => compareLists([...a.tier, ...a.key], [...b.tier, ...b.key]));
  return found[0]?.at;
}

/** [0] exact hostname, [1, -length] wildcard, [2] no hostnames; undefined when the route does not apply. */
function hostnameTier(hostnames: string[], host: string): number[] | undefined {
  if (hostnames.length === 0) return [2, 0];
  const tiers: number[][] = [];
  for (const written of hostnames) {
    const name = normalizeHost(written);
    if (name.startsWith("*.")) {
      const suffix = name.slice(1);
      if (host.endsWith(suffix) && host.length > suffix.length) tiers.push([1, -name.length]);
    } else if (name === host) {
      tiers.push([0, 0]);
    }
  }
  return tiers.sort(compareLists)[0];
}

function pathHolds(path: { type: string; value: string }, requestPath: string): boolean {
  if (path.type === "Exact") return requestPath === path.value;
  if (path.type === "RegularExpression") return new RegExp(`^(?:${path.value})$`).test(requestPath);
  const prefix = trimSlash(path.value);
  return prefix === "" || requestPath === prefix || requestPath.startsWith(`${prefix}/`);
}

function valueHolds(condition: { value: string; type: string }, actual: string | undefined): boolean {
  if (actual === undefined) return false;
  if (condition.type === "RegularExpression") return new RegExp(`^(?:${condition.value})$`).test(actual);
  return actual === condition.value;
}

function firstOfEachName<T extends { name: string }>(
  conditions: T[],
  canonical: (name: string) => string,
): T[] {
  return conditions.filter(
    (c, i) => conditions.findIndex((d) => canonical(d.name) === canonical(c.name)) === i,
  );
}

function trimSlash(value: string): string {
  return value.endsWith("/") ? value.slice(0, -1) : value;
}

function compareLists(a: number[], b: number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

// ---------------------------------------------------------------------------------------------------
// Generators: small alphabets so that random tables and requests collide often.

const segment = fc.constantFrom("a", "b", "ab", "c", "A");
const pathValue = fc
  .tuple(fc.array(segment, { maxLength: 3 }), fc.boolean())
  .map(([segments, slash]) => (segments.length === 0 ? "/" : `/${segments.join("/")}${slash ? "/" : ""}`));
const pattern = fc.constantFrom(
  "/a/.*",
  "/a/[a-c]+",
  ".*b",
  "/(a|b)/c",
  "/a/b/?",
  "/[^/]+/c/",
  "/ab?",
  "/a/b",
  "/a\\/b/.*",
  "/a|/b/.*",
  "/ab/c.*",
  "/A/?.*",
  ".*",
  "(/a)?/b.*",
  "/a/b/c.*",
  "/a/b/[a-c]*",
);
const pathMatch = fc.oneof(
  fc.record({ type: fc.constant("Exact" as const), value: pathValue }),
  fc.record({ type: fc.constant("PathPrefix" as const), value: pathValue }),
  fc.record({ type: fc.constant("RegularExpression" as const), value: pattern }),
);
const method = fc.constantFrom("GET", "POST", "PUT");
const headerCondition = fc.oneof(
  fc.record({ name: fc.constantFrom("x-a", "X-A", "x-b"), value: fc.constantFrom("1", "2") }),
  fc.record({
    name: fc.constantFrom("x-a", "x-b"),
    value: fc.constantFrom("1|2", "[2-3]"),
    type: fc.constant("RegularExpression" as const),
  }),
);
const queryCondition = fc.oneof(
  fc.record({ name: fc.constantFrom("q", "Q", "r"), value: fc.constantFrom("1", "2") }),
  fc.record({
    name: fc.constantFrom("q", "r"),
    value: fc.constantFrom("1|3"),
    type: fc.constant("RegularExpression" as const),
  }),
);
const match = fc.record(
  {
    path: pathMatch,
    method,
    headers: fc.array(headerCondition, { maxLength: 2 }),
    queryParams: fc.array(queryCondition, { maxLength: 2 }),
  },
  { requiredKeys: [] },
);
const rule = fc.record({ matches: fc.option(fc.array(match, { maxLength: 3 }), { nil: undefined }) });
const routeHostname = fc.constantFrom(
  "a.example.com",
  "API.example.com",
  "example.com",
  "*.example.com",
  "*.a.example.com",
  "*.Example.COM.",
  "b.example.net",
  "*.net",
);
const routes = fc.array(
  fc.record({
    hostnames: fc.option(fc.array(routeHostname, { maxLength: 2 }), { nil: undefined }),
    rules: fc.array(rule, { minLength: 1, maxLength: 3 }),
  }),
  { maxLength: 8 },
);

/** Path-only rules, mostly regular expressions: stresses precedence across trie levels. */
const pathOnlyRoutes = fc.array(
  fc.record({
    hostnames: fc.option(fc.array(routeHostname, { maxLength: 1 }), { nil: undefined }),
    rules: fc.array(
      fc.record({
        matches: fc.array(
          fc.record({
            path: fc.oneof(
              {
                weight: 3,
                arbitrary: fc.record({ type: fc.constant("RegularExpression" as const), value: pattern }),
              },
              {
                weight: 1,
                arbitrary: fc.record({ type: fc.constant("PathPrefix" as const), value: pathValue }),
              },
            ),
          }),
          { minLength: 1, maxLength: 2 },
        ),
      }),
      { minLength: 1, maxLength: 3 },
    ),
  }),
  { maxLength: 6 },
);

const requestHost = fc
  .tuple(
    fc.constantFrom(
      "a.example.com",
      "api.example.com",
      "x.a.example.com",
      "example.com",
      "b.example.net",
      "other.org",
    ),
    fc.constantFrom("", ":8080", "."),
    fc.boolean(),
  )
  .map(([host, suffix, upper]) => (upper ? host.toUpperCase() : host) + suffix);
const requestPath = fc
  .tuple(fc.array(segment, { maxLength: 4 }), fc.boolean())
  .map(([segments, slash]) => (segments.length === 0 ? "/" : `/${segments.join("/")}${slash ? "/" : ""}`));
const request = fc.record({
  method,
  host: requestHost,
  path: requestPath,
  headers: fc.dictionary(fc.constantFrom("x-a", "X-B", "x-c"), fc.constantFrom("1", "2", "3"), {
    maxKeys: 3,
  }),
  query: fc.array(fc.tuple(fc.constantFrom("q", "Q", "r"), fc.constantFrom("1", "2", "3")), { maxLength: 3 }),
});

function tableOf(generated: { hostnames?: string[]; rules: unknown[] }[]): RouteTable {
  const input = {
    version: 1,
    routes: generated.map((route, index) => ({ id: `route-${index}`, ...route })),
  } as RouteTableInput;
  return RouteTableSchema.parse(input);
}

describe("the compiled matcher agrees with the reference", () => {
  it("on random tables and requests", () => {
    fc.assert(
      fc.property(routes, fc.array(request, { minLength: 1, maxLength: 25 }), (generated, requests) => {
        const table = tableOf(generated);
        const compiled = compileRouteTable(table);
        for (const r of requests) {
          const got = matchRoute(compiled, {
            method: r.method,
            host: normalizeHost(r.host),
            path: r.path,
            headers: new Headers(r.headers),
            query: new URLSearchParams(r.query),
          });
          const expected = referenceMatch(table, r);
          const actual = got && {
            routeIndex: got.rule.routeIndex,
            ruleIndex: got.rule.ruleIndex,
            matchIndex: got.matchIndex,
          };
          expect(actual, JSON.stringify(r)).toEqual(expected);
        }
      }),
      { numRuns: 500 },
    );
  });

  it("on random path-only tables, mostly regular expressions", () => {
    fc.assert(
      fc.property(
        pathOnlyRoutes,
        fc.array(request, { minLength: 1, maxLength: 25 }),
        (generated, requests) => {
          const table = tableOf(generated);
          const compiled = compileRouteTable(table);
          for (const r of requests) {
            const got = matchRoute(compiled, {
              method: r.method,
              host: normalizeHost(r.host),
              path: r.path,
              headers: new Headers(r.headers),
              query: new URLSearchParams(r.query),
            });
            const expected = referenceMatch(table, r);
            expect(
              got && [got.rule.routeIndex, got.rule.ruleIndex, got.matchIndex],
              JSON.stringify(r),
            ).toEqual(expected && [expected.routeIndex, expected.ruleIndex, expected.matchIndex]);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("finds a match for most requests, so the agreement is not about 404s", () => {
    let matched = 0;
    let total = 0;
    fc.assert(
      fc.property(routes, request, (generated, r) => {
        total++;
        if (referenceMatch(tableOf(generated), r) !== undefined) matched++;
      }),
      { numRuns: 300 },
    );
    expect(matched / total).toBeGreaterThan(0.2);
  });
});
