/**
 * URLRewrite through the gateway: the rewritten path (and query) is exactly what the pod receives; a
 * hostname rewrite is the Host the origin sees where the transport can carry it.
 */
import { beforeEach, describe, expect, it } from "vitest";
import type { Env } from "../../src/gateway/env.ts";
import { gatewayFetch, gatewayFor } from "../support/gateway.ts";
import { resetAllPods } from "../support/origins.ts";
import { clusterName, echoOf, podsCluster, tableFor } from "../upstream/support.ts";

beforeEach(resetAllPods);

describe("URLRewrite", () => {
  const name = clusterName("rw");
  const gw = () =>
    gatewayFor(
      tableFor("rw.test", { [name]: podsCluster(["pod-a"]) }, [
        {
          matches: [{ path: { type: "PathPrefix", value: "/api/v1" } }],
          filters: [
            {
              type: "URLRewrite",
              urlRewrite: { path: { type: "ReplacePrefixMatch", replacePrefixMatch: "/v1" } },
            },
          ],
          backendRefs: [{ name }],
        },
        {
          matches: [{ path: { type: "PathPrefix", value: "/strip" } }],
          filters: [
            {
              type: "URLRewrite",
              urlRewrite: { path: { type: "ReplacePrefixMatch", replacePrefixMatch: "/" } },
            },
          ],
          backendRefs: [{ name }],
        },
        {
          matches: [{ path: { type: "Exact", value: "/health" } }],
          filters: [
            {
              type: "URLRewrite",
              urlRewrite: { path: { type: "ReplaceFullPath", replaceFullPath: "/internal/ready" } },
            },
          ],
          backendRefs: [{ name }],
        },
      ]),
    );

  it("ReplacePrefixMatch and ReplaceFullPath: the pod receives the rewritten path with the query kept", async () => {
    const cases: [string, string][] = [
      ["/api/v1/users?page=2", "/v1/users?page=2"],
      ["/api/v1", "/v1"],
      ["/strip/a/b", "/a/b"],
      ["/strip", "/"],
      ["/health?probe=1", "/internal/ready?probe=1"],
    ];
    const g = gw();
    for (const [sent, received] of cases) {
      const echo = await echoOf(await gatewayFetch(g, `https://rw.test${sent}`));
      expect([sent, echo.url]).toEqual([sent, received]);
    }
  });

  it("hostname: the Host the origin sees (a VPC binding carries it; direct dials the endpoint URL)", async () => {
    const seen: string[] = [];
    const vpcName = clusterName("rw-vpc");
    const table = tableFor(
      "rw.test",
      {
        [vpcName]: {
          endpoints: [{ url: "http://orders.internal:8080" }],
          transport: { type: "vpc", binding: "RW_VPC" },
        },
      },
      [
        {
          filters: [{ type: "URLRewrite", urlRewrite: { hostname: "api.internal" } }],
          backendRefs: [{ name: vpcName }],
        },
      ],
    );
    const env = {
      RW_VPC: {
        fetch: async (request: Request) => {
          seen.push(new URL(request.url).host);
          return new Response("ok");
        },
      },
    } as Partial<Env>;
    const res = await gatewayFetch(gatewayFor(table), "https://rw.test/x", {}, { env });
    expect(await res.text()).toBe("ok");
    expect(seen).toEqual(["api.internal"]);
  });
});
