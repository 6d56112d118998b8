/**
 * RequestRedirect through the gateway: the edge answers with the status and Location the filter
 * describes, and nothing reaches a pod.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { gatewayFetch, gatewayFor } from "../support/gateway.ts";
import { podRequests, resetAllPods } from "../support/origins.ts";
import { clusterName, podsCluster, tableFor } from "../upstream/support.ts";

beforeEach(resetAllPods);

describe("RequestRedirect", () => {
  it("answers at the edge: status, Location with the given parts replaced, the query kept", async () => {
    const name = clusterName("redir");
    const gw = gatewayFor(
      tableFor("redir.test", { [name]: podsCluster(["pod-a"]) }, [
        {
          matches: [{ path: { type: "PathPrefix", value: "/old" } }],
          filters: [
            {
              type: "RequestRedirect",
              requestRedirect: {
                path: { type: "ReplacePrefixMatch", replacePrefixMatch: "/new" },
                statusCode: 301,
              },
            },
          ],
        },
        {
          matches: [{ path: { type: "PathPrefix", value: "/secure" } }],
          filters: [
            { type: "RequestRedirect", requestRedirect: { scheme: "https", hostname: "www.redir.test" } },
          ],
        },
        {
          matches: [{ path: { type: "PathPrefix", value: "/port" } }],
          filters: [{ type: "RequestRedirect", requestRedirect: { port: 8443, statusCode: 308 } }],
        },
        { backendRefs: [{ name }] },
      ]),
    );
    const cases: [string, number, string][] = [
      ["https://redir.test/old/a?x=1", 301, "https://redir.test/new/a?x=1"],
      ["http://redir.test/secure/b", 302, "https://www.redir.test/secure/b"],
      ["https://redir.test/port", 308, "https://redir.test:8443/port"],
    ];
    for (const [url, status, location] of cases) {
      const res = await gatewayFetch(gw, url);
      expect([url, res.status, res.headers.get("location")]).toEqual([url, status, location]);
      expect(res.headers.get("x-request-id")).toBeTruthy();
    }
    expect(await podRequests("pod-a")).toEqual([]);
  });
});
