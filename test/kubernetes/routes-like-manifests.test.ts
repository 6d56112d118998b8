/**
 * Imported tables route like the manifests say: each golden table is compiled by the gateway's own
 * matcher and asked, through `explain`'s code, where requests go. The expected answers are what the
 * Gateway API spec (and, for Ingress, ingress-nginx) says the objects in the fixture mean.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { explainRequest } from "../../src/cli/explain-request.ts";
import { parseRouteTableText } from "../../src/config/parse.ts";
import { validateRouteTable } from "../../src/config/validate.ts";
import { compileRouteTable } from "../../src/routing/index.ts";
import { FIXTURES, GOLDEN_CASES } from "./fixtures.ts";

function compiled(name: string) {
  const result = validateRouteTable(
    parseRouteTableText(readFileSync(join(FIXTURES, `${name}.expected.yaml`), "utf8")),
  );
  if (!result.ok) throw new Error(`${name}.expected.yaml is not valid`);
  return compileRouteTable(result.table);
}

type Case = [request: string, headers: Record<string, string>, expected: Record<string, unknown>];

const CASES: Record<string, Case[]> = {
  "gateway-api": [
    // Exact path: only /healthz itself.
    ["GET http://www.example.com/healthz", {}, { route: "shop/web", rule: 0, backend: "shop.web.80" }],
    // /healthz/ is not /healthz: the exact host's routes do not match, the *.example.com route does.
    ["GET http://www.example.com/healthz/", {}, { route: "shop/catch-all", backend: "shop.web.80" }],
    // Path, method, headers (exact and regex) and query all hold: the heaviest backend is shown.
    [
      "GET http://www.example.com/app/cart?debug=1",
      { "x-env": "prod", "user-agent": "Mozilla/5.0 Chrome/120" },
      { route: "shop/web", rule: 1, backend: "shop.web.80" },
    ],
    // One condition fails (no debug=1): the rule does not match; the listener-wide route takes it.
    [
      "GET http://www.example.com/app/cart",
      { "x-env": "prod", "user-agent": "Chrome" },
      { route: "shop/catch-all" },
    ],
    [
      "POST http://www.example.com/app/cart?debug=1",
      { "x-env": "prod", "user-agent": "Chrome" },
      { route: "shop/catch-all" },
    ],
    // URLRewrite: hostname and full path replaced.
    [
      "GET http://www.example.com/users/42?x=1",
      {},
      {
        route: "shop/web",
        rule: 2,
        upstreamUrl: "http://web.shop.svc.cluster.local/profile?x=1",
        upstreamHost: "web.internal",
      },
    ],
    // RequestRedirect: scheme, host, prefix replaced, 301.
    [
      "GET http://www.example.com/old/page",
      {},
      { route: "shop/web", rule: 3, redirect: { status: 301, location: "https://new.example.com/new/page" } },
    ],
    // RequestMirror does not change where the request goes.
    ["GET http://www.example.com/mirror/a", {}, { route: "shop/web", rule: 4, backend: "shop.web.80" }],
    ["GET http://www.example.com/cors", {}, { route: "shop/web", rule: 5, backend: "shop.web.80" }],
    // A filter that cannot be applied: the spec says error, never skip it.
    ["GET http://www.example.com/ext", {}, { route: "shop/web", rule: 6, status: 500 }],
    // ReplacePrefixMatch: /v2/items → /items.
    [
      "GET http://www.example.com/v2/items",
      {},
      { route: "shop/web", rule: 7, upstreamUrl: "http://web-next.shop.svc.cluster.local/items" },
    ],
    // other.org was outside the listener's *.example.com: not served at all.
    ["GET http://other.org/", {}, { matched: false, status: 404 }],
    // The apex is not covered by *.example.com.
    ["GET http://example.com/", {}, { matched: false, status: 404 }],
    // A route without hostnames takes the listener's.
    ["GET http://a.b.example.com/anything", {}, { route: "shop/catch-all" }],
    // Cross-namespace backend allowed by a ReferenceGrant; the refused one is not there.
    ["GET http://billing.example.com/invoices", {}, { route: "shop/billing", backend: "billing.billing.80" }],
    // The https listener's hostname; pods from the EndpointSlice (the first ready one shown).
    [
      "GET https://api.example.com/v1/users",
      {},
      { route: "infra/api", rule: 0, upstreamUrl: "http://10.0.0.1:8080/v1/users" },
    ],
    ["DELETE https://api.example.com/v1/users", {}, { route: "shop/catch-all" }],
  ],
  "ingress-annotations": [
    // canary-by-header-value: only that value goes to the canary; anything else stays on the main.
    [
      "GET http://app.example.com/",
      { "x-version": "v2" },
      { route: "beta/app", rule: 0, backend: "beta.app-v2.80" },
    ],
    ["GET http://app.example.com/", { "x-version": "always" }, { route: "beta/app", backend: "beta.app.80" }],
    // canary-by-header-pattern on /beta: a regular expression over the whole value.
    [
      "GET http://app.example.com/beta/x",
      { "x-version": "v3.1" },
      { route: "beta/app", backend: "beta.app-v3.80" },
    ],
    [
      "GET http://app.example.com/beta/x",
      { "x-version": "v31" },
      { route: "beta/app", backend: "beta.app.80" },
    ],
    ["GET http://app.example.com/beta/x", {}, { route: "beta/app", backend: "beta.app.80" }],
    // temporal-redirect: 302 to the URL.
    [
      "GET http://away.example.com/a",
      {},
      { route: "beta/away", redirect: { status: 302, location: "https://status.example.com/maintenance" } },
    ],
    // auth-url cannot be enforced: the Ingress is left out.
    ["GET http://private.example.com/", {}, { matched: false, status: 404 }],
  ],
  "ingress-nginx": [
    // TLS host, ssl-redirect on by default: plain HTTP is redirected with 308.
    [
      "GET http://shop.example.com/products",
      {},
      { route: "shop/storefront", redirect: { status: 308, location: "https://shop.example.com/products" } },
    ],
    // Canary by weight: the main backend weighs 90, the canary 10.
    [
      "GET https://shop.example.com/products",
      {},
      { route: "shop/storefront", rule: 2, backend: "shop.storefront.80" },
    ],
    // Canary by header: "always" goes to the canary, "never" never does.
    [
      "GET https://shop.example.com/products",
      { "x-canary": "always" },
      { route: "shop/storefront", rule: 0, backend: "shop.storefront-next.80" },
    ],
    [
      "GET https://shop.example.com/products",
      { "x-canary": "never" },
      { route: "shop/storefront", rule: 1, backend: "shop.storefront.80" },
    ],
    // rewrite-target /$2 with /api(/|$)(.*): the prefix is cut.
    [
      "GET https://shop.example.com/api/orders/7?x=1",
      {},
      { route: "shop/api", upstreamUrl: "http://api.shop.svc.cluster.local:8080/orders/7?x=1" },
    ],
    [
      "GET https://shop.example.com/api",
      {},
      { route: "shop/api", upstreamUrl: "http://api.shop.svc.cluster.local:8080/" },
    ],
    // /apix is not under /api (element-wise), so the storefront takes it.
    ["GET https://shop.example.com/apix", {}, { route: "shop/storefront" }],
    // An Ingress with an allow-list Gatehouse cannot enforce is left out, not served open.
    ["GET https://admin.example.com/", {}, { matched: false, status: 404 }],
  ],
  "ingress-paths": [
    // ssl-redirect "false": no redirect on a TLS host.
    [
      "GET http://docs.example.com/guide",
      {},
      { route: "web/docs/docs.example.com", rule: 0, upstreamHost: "docs.internal" },
    ],
    // Exact: /guide/ is not /guide; the Ingress's defaultBackend takes what no rule matches.
    [
      "GET http://docs.example.com/guide/",
      {},
      { route: "web/docs/default-backend", backend: "web.fallback.8080" },
    ],
    // Prefix /api/ matches /api and /api/x, element-wise.
    ["GET http://docs.example.com/api", {}, { route: "web/docs/docs.example.com", rule: 1 }],
    ["GET http://docs.example.com/api/x", {}, { route: "web/docs/docs.example.com", rule: 1 }],
    // ImplementationSpecific read as Prefix, element-wise.
    ["GET http://docs.example.com/static/app.js", {}, { route: "web/docs/docs.example.com", rule: 2 }],
    ["GET http://docs.example.com/staticx", {}, { route: "web/docs/default-backend" }],
    // A wildcard host; a path whose Service is missing answers 500.
    ["GET http://eu.docs.example.com/x", {}, { route: "web/docs/*.docs.example.com", rule: 0 }],
    [
      "GET http://eu.docs.example.com/missing",
      {},
      { route: "web/docs/*.docs.example.com", rule: 1, status: 500 },
    ],
    // use-regex: a regular expression anchored at the start, any rest.
    ["GET http://regex.example.com/v12/items/9", {}, { route: "web/regex", backend: "web.docs.80" }],
    // rewrite-target without capture groups replaces the whole path.
    [
      "GET http://app.example.com/app/deep/link",
      {},
      { route: "web/flatten", upstreamUrl: "http://docs.web.svc.cluster.local/index.html" },
    ],
    // permanent-redirect with its code.
    [
      "GET http://old.example.com/anything",
      {},
      { route: "web/moved", redirect: { status: 308, location: "https://www.example.com/new-home" } },
    ],
  ],
};

describe("imported tables route like the manifests say", () => {
  it("covers every golden case", () => {
    expect(Object.keys(CASES).sort()).toEqual(GOLDEN_CASES);
  });

  for (const [name, cases] of Object.entries(CASES)) {
    describe(name, () => {
      const table = compiled(name);
      it.each(cases)("%s %j", (request, headers, expected) => {
        const [method, url] = request.split(" ") as [string, string];
        const result = explainRequest(table, { method, url, headers });
        expect(result).toMatchObject(expected.matched === false ? expected : { matched: true, ...expected });
      });
    });
  }
});
