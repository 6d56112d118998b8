import { describe, expect, it } from "vitest";
import type { RouteTable, RouteTableInput } from "../../src/config/schema.ts";
import { RouteTableSchema } from "../../src/config/schema.ts";
import { diffTables, formatDiff, isEmptyDiff } from "../../src/store/diff.ts";

const parse = (input: RouteTableInput): RouteTable => RouteTableSchema.parse(input);

const base: RouteTableInput = {
  version: 1,
  providers: { accounts: { issuer: "https://auth.example.com/", localJWKS: { keys: [{ kty: "OKP" }] } } },
  clusters: {
    orders: { endpoints: [{ url: "http://127.0.0.1:9001" }] },
    legacy: { endpoints: [{ url: "http://127.0.0.1:9009" }] },
  },
  routes: [
    {
      id: "orders-api",
      hostnames: ["api.example.com"],
      rules: [
        {
          name: "read",
          matches: [{ path: { type: "PathPrefix", value: "/orders" }, method: "GET" }],
          backendRefs: [{ name: "orders" }],
          auth: { provider: "accounts", audiences: ["orders"] },
        },
        { matches: [{ path: { type: "Exact", value: "/health" } }], backendRefs: [{ name: "orders" }] },
      ],
    },
    { id: "old", hostnames: ["old.example.com"], rules: [{ backendRefs: [{ name: "legacy" }] }] },
  ],
};

function changed(edit: (t: RouteTableInput & { routes: NonNullable<RouteTableInput["routes"]> }) => void) {
  const copy = structuredClone(base) as RouteTableInput & { routes: NonNullable<RouteTableInput["routes"]> };
  edit(copy);
  return parse(copy);
}

describe("diffTables", () => {
  it("finds nothing between a table and itself", () => {
    const diff = diffTables(parse(base), parse(base));
    expect(isEmptyDiff(diff)).toBe(true);
    expect(formatDiff(diff)).toEqual(["no changes."]);
  });

  it("shows every route, cluster and provider as added against nothing", () => {
    const diff = diffTables(undefined, parse(base));
    expect(diff.routes.map((r) => [r.name, r.kind])).toEqual([
      ["orders-api", "added"],
      ["old", "added"],
    ]);
    expect(diff.clusters.map((c) => c.kind)).toEqual(["added", "added"]);
    expect(diff.providers.map((p) => p.name)).toEqual(["accounts"]);
    expect(diff.routes[0]?.summary).toBe("hosts api.example.com; 2 rules; backends orders");
  });

  it("names hosts, matches, backends and auth changes route by route, rule by rule", () => {
    const after = changed((t) => {
      const route = t.routes[0]!;
      route.hostnames = ["api.example.com", "www.example.com"];
      const read = route.rules[0]!;
      read.matches = [{ path: { type: "PathPrefix", value: "/orders" } }];
      read.backendRefs = [
        { name: "orders", weight: 90 },
        { name: "legacy", weight: 10 },
      ];
      read.auth = { provider: "accounts", audiences: ["orders"], requiredScopes: ["orders:read"] };
    });
    const diff = diffTables(parse(base), after);
    expect(diff.routes).toHaveLength(1);
    const change = diff.routes[0]!;
    expect(change).toMatchObject({ name: "orders-api", kind: "changed" });
    expect(change.changes).toEqual([
      { field: "hostnames", before: "api.example.com", after: "api.example.com, www.example.com" },
      { field: "rule read: matches", before: "PathPrefix /orders GET", after: "PathPrefix /orders" },
      { field: "rule read: backends", before: "orders=1", after: "orders=90, legacy=10" },
      {
        field: "rule read: auth",
        before: "accounts aud=[orders]",
        after: "accounts aud=[orders] scopes=[orders:read]",
      },
    ]);
  });

  it("reports routes added and removed, rules added, and a change of route order", () => {
    const after = changed((t) => {
      t.routes.reverse();
      t.routes.push({
        id: "new",
        hostnames: ["new.example.com"],
        rules: [{ backendRefs: [{ name: "orders" }] }],
      });
      t.routes[1]!.rules.push({ name: "extra", matches: [{ path: { type: "PathPrefix", value: "/x" } }] });
    });
    const diff = diffTables(parse(base), after);
    expect(diff.routes.map((r) => [r.name, r.kind])).toEqual([
      ["orders-api", "changed"],
      ["new", "added"],
    ]);
    expect(diff.routes[0]?.changes[0]?.field).toBe("rule extra");
    expect(diff.routeOrder).toEqual({ before: ["orders-api", "old"], after: ["old", "orders-api"] });

    const removed = diffTables(after, parse(base));
    expect(removed.routes.find((r) => r.name === "new")?.kind).toBe("removed");
  });

  it("shows a changed header value even when the one-line summaries agree", () => {
    const withHeader = (value: string) =>
      changed((t) => {
        t.routes[1]!.rules[0]!.filters = [
          { type: "RequestHeaderModifier", requestHeaderModifier: { set: [{ name: "x-env", value }] } },
        ];
      });
    const diff = diffTables(withHeader("blue"), withHeader("green"));
    const field = diff.routes[0]?.changes[0];
    expect(field?.field).toBe("rule 0: filters");
    expect(field?.before).toContain("blue");
    expect(field?.after).toContain("green");
  });

  it("covers clusters, providers and table-wide settings", () => {
    const after = changed((t) => {
      t.clusters!.orders = {
        endpoints: [{ url: "http://127.0.0.1:9001" }, { url: "http://127.0.0.1:9002", weight: 3 }],
      };
      delete t.clusters!.legacy;
      t.routes.pop();
      t.providers!.accounts = { ...t.providers!.accounts, algorithms: ["EdDSA"] };
      t.tls = { httpsRedirect: true };
    });
    const diff = diffTables(parse(base), after);
    expect(diff.clusters).toEqual([
      {
        name: "orders",
        kind: "changed",
        changes: [
          {
            field: "endpoints",
            before: "http://127.0.0.1:9001",
            after: "http://127.0.0.1:9001, http://127.0.0.1:9002 (weight 3)",
          },
        ],
      },
      { name: "legacy", kind: "removed", summary: "1 endpoint: http://127.0.0.1:9009", changes: [] },
    ]);
    expect(diff.providers[0]?.changes).toEqual([
      { field: "algorithms", before: "(none)", after: '["EdDSA"]' },
    ]);
    expect(diff.settings).toEqual([{ field: "tls", before: "(none)", after: '{"httpsRedirect":true}' }]);
    const text = formatDiff(diff);
    expect(text.at(-1)).toBe(
      "1 route (1 removed); 2 clusters (1 removed, 1 changed); 1 provider (1 changed); 1 table setting.",
    );
  });
});
