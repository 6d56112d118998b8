/**
 * The status page's HTML: filters are visible, routes are searched and paged on the server so a 16,000-
 * route table still gives a small page, and traffic shows as figures and inline SVG charts.
 */
import { describe, expect, it } from "vitest";
import { type PageView, ROUTES_PER_PAGE, renderSignInPage, renderStatusPage } from "../../src/admin/page.ts";
import type { StatusDocument } from "../../src/admin/status.ts";
import type { TrafficReport } from "../../src/admin/traffic.ts";
import { type RouteTableInput, RouteTableSchema } from "../../src/config/schema.ts";
import type { GatewayConfig } from "../../src/gateway/compile.ts";

const status = {
  generatedAt: "2026-12-06T10:00:00.000Z",
  state: "serving",
  source: {
    state: "current",
    wanted: "v1",
    serving: "v1",
    reason: undefined,
    reasonMessage: undefined,
    walk: [],
    summary: "",
  },
  table: undefined,
  refresh: { intervalSeconds: 10, lastCheckedAt: undefined, pointer: undefined, upToDate: true },
  lastLoadError: undefined,
  rejectedVersions: [],
  clusters: [],
  providers: [],
  missingBindings: [],
} as unknown as StatusDocument;

const noTraffic: TrafficReport = {
  source: "isolate",
  label: "This isolate's own counters since x",
  windowSeconds: 3600,
  routes: [],
};

function gatewayOf(input: RouteTableInput): GatewayConfig {
  return { table: RouteTableSchema.parse(input) } as unknown as GatewayConfig;
}

const view = (over: Partial<PageView> = {}): PageView => ({
  query: "",
  page: 1,
  traffic: noTraffic,
  viewer: "admin token",
  canSignOut: false,
  ...over,
});

const ROUTE_COUNT = 16_000;
const big = gatewayOf({
  version: 1,
  clusters: { pods: { endpoints: [{ url: "http://10.0.0.1" }] } },
  routes: Array.from({ length: ROUTE_COUNT }, (_, i) => ({
    id: `svc-${i}`,
    hostnames: [`svc-${i}.example.com`],
    rules: [
      {
        matches: [{ path: { type: "PathPrefix" as const, value: `/v1/items-${i}` } }],
        backendRefs: [{ name: "pods" }],
      },
    ],
  })),
});

describe("status page", () => {
  it("stays small with 16,000 routes: one page of routes, with paging links", () => {
    const page = renderStatusPage(status, big, view());
    expect(page.length).toBeLessThan(100_000);
    expect(page.match(/<strong>svc-\d+<\/strong>/g)).toHaveLength(ROUTES_PER_PAGE);
    expect(page).toContain(`1–${ROUTES_PER_PAGE} of ${ROUTE_COUNT} routes`);
    expect(page).toContain('href="/?page=2" rel="next"');
    const last = renderStatusPage(status, big, view({ page: 999 }));
    expect(last).toContain(`page ${ROUTE_COUNT / ROUTES_PER_PAGE} of ${ROUTE_COUNT / ROUTES_PER_PAGE}`);
    expect(last).toContain("<strong>svc-15999</strong>");
    expect(last).not.toContain('rel="next"');
  });

  it("searches ids, hosts and paths on the server, and keeps the search in the paging links", () => {
    const one = renderStatusPage(status, big, view({ query: "items-12345" }));
    expect(one).toContain("<strong>svc-12345</strong>");
    expect(one).toContain(`1–1 of 1 route matching “items-12345” (of ${ROUTE_COUNT})`);
    const many = renderStatusPage(status, big, view({ query: "SVC-1", page: 2 }));
    expect(many).toContain('href="/?q=SVC-1&amp;page=3" rel="next"');
    expect(many).toContain('href="/?q=SVC-1" rel="prev"');
    expect(renderStatusPage(status, big, view({ query: "nothing-like-this" }))).toContain(
      "No route matches.",
    );
  });

  it("shows each rule's filters: redirects, rewrites, header changes, mirrors, CORS", () => {
    const g = gatewayOf({
      version: 1,
      clusters: {
        pods: { endpoints: [{ url: "http://10.0.0.1" }] },
        shadow: { endpoints: [{ url: "http://10.0.0.2" }] },
      },
      routes: [
        {
          id: "legacy",
          rules: [
            {
              filters: [
                {
                  type: "RequestRedirect",
                  requestRedirect: { hostname: "new.example.com", statusCode: 301 },
                },
                {
                  type: "URLRewrite",
                  urlRewrite: { path: { type: "ReplacePrefixMatch", replacePrefixMatch: "/v2" } },
                },
                {
                  type: "RequestHeaderModifier",
                  requestHeaderModifier: { set: [{ name: "x-env", value: "<prod>" }], remove: ["x-debug"] },
                },
                { type: "RequestMirror", requestMirror: { backendRef: { name: "shadow" }, percent: 5 } },
                { type: "CORS", cors: { allowOrigins: ["https://app.example.com"] } },
              ],
              backendRefs: [{ name: "pods" }],
            },
          ],
        },
      ],
    });
    const page = renderStatusPage(status, g, view());
    expect(page).toContain("<th>Filters</th>");
    expect(page).toContain("<li>redirect 301 host=new.example.com</li>");
    expect(page).toContain("<li>rewrite prefix→/v2</li>");
    expect(page).toContain("<li>request headers: set x-env: &lt;prod&gt;; remove x-debug</li>");
    expect(page).toContain("<li>mirror 5% to shadow</li>");
    expect(page).toContain("<li>CORS https://app.example.com</li>");
    expect(renderStatusPage(status, g, view({ query: "new.example" }))).toContain("<strong>legacy</strong>");
  });

  it("shows traffic as rate, error share, p99 and an inline SVG chart, with where the figures come from", () => {
    const points = Array.from({ length: 12 }, (_, i) => ({
      start: 1_000_000 + i * 300,
      requests: i * 10,
      errors: i === 11 ? 30 : 0,
    }));
    const traffic: TrafficReport = {
      source: "analytics-engine",
      label: "All isolates, from Workers Analytics Engine (dataset gatehouse)",
      windowSeconds: 3600,
      routes: [{ route: "orders", requests: 660, errors: 30, p99Ms: 87, points }],
    };
    const page = renderStatusPage(status, undefined, view({ traffic }));
    expect(page).toContain("All isolates, from Workers Analytics Engine");
    expect(page).toContain("11/min");
    expect(page).toContain('<span class="pill warn">4.5%</span>');
    expect(page).toContain("87 ms");
    expect(page.match(/<rect class="req"/g)).toHaveLength(11);
    expect(page.match(/<rect class="err"/g)).toHaveLength(1);
    const local = renderStatusPage(
      status,
      undefined,
      view({ traffic: { ...traffic, source: "isolate", label: "This isolate's own counters since x" } }),
    );
    expect(local).toContain("≤ 87 ms");
    expect(local).toContain("This isolate&#39;s own counters");
  });

  it("offers sign-out only to a cookie session, and the sign-in form posts to itself", () => {
    expect(renderStatusPage(status, undefined, view({ canSignOut: true, viewer: "signed in" }))).toContain(
      'action="/sign-out"',
    );
    expect(renderStatusPage(status, undefined, view())).not.toContain('action="/sign-out"');
    const form = renderSignInPage("That is not the admin token.");
    expect(form).toContain('<form method="post" action="/sign-in">');
    expect(form).toContain('role="alert"');
  });
});
