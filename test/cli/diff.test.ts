import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { tableFor } from "../store/tables.ts";
import { gatehouse, type Workspace, workspace } from "./store-cli.ts";

let ws: Workspace;
beforeEach(async () => {
  ws = await workspace();
});
afterEach(() => ws.remove());

describe("gatehouse diff", () => {
  it("shows everything as added when nothing is published", async () => {
    const file = await ws.file("routes.yaml", tableFor("a.example.com", "b.example.com"));
    const run = await gatehouse("diff", file, "--persist-to", ws.state);
    expect(run.code).toBe(0);
    expect(run.out).toContain("against an empty namespace");
    expect(run.out).toContain("  + a  (hosts a.example.com; 1 rule; backends pods)");
    expect(run.out).toContain("  + pods  (1 endpoint: http://127.0.0.1:9001)");
    expect(run.out.trimEnd().split("\n").at(-1)).toBe("2 routes (2 added); 1 cluster (1 added).");
  });

  it("shows what a push would change route by route, exits 0, and writes nothing", async () => {
    const v1 = await ws.file("v1.yaml", tableFor("a.example.com", "b.example.com"));
    expect((await gatehouse("push", v1, "--persist-to", ws.state)).code).toBe(0);
    const next = tableFor("a.example.com", "c.example.com");
    next.routes[0]!.hostnames = ["a.example.com", "www.example.com"];
    next.routes[0]!.rules[0]!.matches = [{ path: { type: "PathPrefix", value: "/api" } }];
    const v2 = await ws.file("v2.yaml", next);

    const run = await gatehouse("diff", v2, "--persist-to", ws.state);
    expect(run.code).toBe(0);
    expect(run.out.trimEnd().split("\n").slice(1)).toEqual([
      "routes:",
      "  ~ a",
      "      hostnames: a.example.com -> a.example.com, www.example.com",
      "      rule 0: matches: PathPrefix / -> PathPrefix /api",
      "  + c  (hosts c.example.com; 1 rule; backends pods)",
      "  - b  (hosts b.example.com; 1 rule; backends pods)",
      "3 routes (1 added, 1 removed, 1 changed).",
    ]);
    const versions = await gatehouse("versions", "--persist-to", ws.state, "--json");
    expect((JSON.parse(versions.out) as { versions: unknown[] }).versions).toHaveLength(1);

    const json = JSON.parse((await gatehouse("diff", v2, "--persist-to", ws.state, "--json")).out) as {
      identical: boolean;
      diff: { routes: { name: string; kind: string }[] };
    };
    expect(json.identical).toBe(false);
    expect(json.diff.routes.map((r) => `${r.kind} ${r.name}`)).toEqual(["changed a", "added c", "removed b"]);
  });

  it("shows changed backends, weights and auth of a rule, and exits 0", async () => {
    const table = (weights: [number, number], auth?: Record<string, unknown>) => ({
      version: 1,
      providers: {
        idp: { issuer: "https://issuer.test/", audiences: ["orders"], secret: { binding: "JWT_SECRET" } },
      },
      clusters: {
        pods: { endpoints: [{ url: "http://127.0.0.1:9001" }] },
        canary: { endpoints: [{ url: "http://127.0.0.1:9002" }] },
      },
      routes: [
        {
          id: "api",
          hostnames: ["api.example.com"],
          rules: [
            {
              name: "orders",
              backendRefs: [
                { name: "pods", weight: weights[0] },
                { name: "canary", weight: weights[1] },
              ],
              ...(auth ? { auth } : {}),
            },
          ],
        },
      ],
    });
    const v1 = await ws.file("v1.yaml", table([90, 10]));
    expect((await gatehouse("push", v1, "--persist-to", ws.state)).code).toBe(0);
    const v2 = await ws.file(
      "v2.yaml",
      table([50, 50], { provider: "idp", audiences: ["orders"], requiredScopes: ["orders:read"] }),
    );
    const run = await gatehouse("diff", v2, "--persist-to", ws.state);
    expect(run.code).toBe(0);
    expect(run.out.trimEnd().split("\n").slice(1)).toEqual([
      "routes:",
      "  ~ api",
      "      rule orders: backends: pods=90, canary=10 -> pods=50, canary=50",
      "      rule orders: auth: public -> idp aud=[orders] scopes=[orders:read]",
      "1 route (1 changed).",
    ]);
  });

  it("says there is nothing to push for the active table", async () => {
    const file = await ws.file("routes.yaml", tableFor("a.example.com"));
    await gatehouse("push", file, "--persist-to", ws.state);
    const run = await gatehouse("diff", file, "--persist-to", ws.state);
    expect(run.code).toBe(0);
    expect(run.out.trimEnd().split("\n").at(-1)).toBe("no changes: push would write nothing.");
  });

  it("refuses an invalid file with exit 1", async () => {
    const bad = await ws.file("bad.yaml", "version: 2\nroutes: []\n");
    const run = await gatehouse("diff", bad, "--persist-to", ws.state);
    expect(run.code).toBe(1);
    expect(run.err).toMatch(/^version: /m);
  });
});
