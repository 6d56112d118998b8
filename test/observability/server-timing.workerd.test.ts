/** `Server-Timing` only on routes that ask for it, with the access log's figures. */
import { describe, expect, it } from "vitest";
import { serverTimingValue } from "../../src/observability/server-timing.ts";
import { gatewayFetch, gatewayFor } from "../support/gateway.ts";
import { podUrl } from "../support/origins.ts";
import { accessLogDuring } from "../upstream/support.ts";

const gateway = () =>
  gatewayFor({
    version: 1,
    clusters: { pods: { endpoints: [{ url: podUrl("pod-a") }] } },
    routes: [
      {
        id: "timed",
        hostnames: ["timed.test"],
        serverTiming: true,
        rules: [{ backendRefs: [{ name: "pods" }] }],
      },
      { id: "quiet", hostnames: ["quiet.test"], rules: [{ backendRefs: [{ name: "pods" }] }] },
    ],
  });

describe("Server-Timing", () => {
  it("is added on a route with serverTiming: true, and agrees with the access log", async () => {
    const { result, lines } = await accessLogDuring(() => gatewayFetch(gateway(), "https://timed.test/x"));
    expect(result.status).toBe(200);
    await result.body?.cancel();
    const header = result.headers.get("server-timing");
    expect(header).toMatch(/^total;dur=\d+, upstream;dur=\d+$/);
    expect(header).toBe(serverTimingValue(lines[0]!));
  });

  it("is added to the gateway's own answers on that route too", async () => {
    const g = gatewayFor({
      version: 1,
      clusters: { pods: { endpoints: [{ url: podUrl("pod-a") }] } },
      routes: [
        {
          id: "timed",
          serverTiming: true,
          rules: [
            {
              backendRefs: [{ name: "pods" }],
              filters: [
                { type: "RequestRedirect", requestRedirect: { statusCode: 302, hostname: "b.test" } },
              ],
            },
          ],
        },
      ],
    });
    const response = await gatewayFetch(g, "https://a.test/");
    expect(response.status).toBe(302);
    expect(response.headers.get("server-timing")).toMatch(/^total;dur=\d+/);
  });

  it("is absent by default", async () => {
    const response = await gatewayFetch(gateway(), "https://quiet.test/x");
    await response.body?.cancel();
    expect(response.headers.has("server-timing")).toBe(false);
  });

  it("names auth time when the rule has auth", () => {
    expect(
      serverTimingValue({
        requestId: "r",
        method: "GET",
        host: "h",
        path: "/",
        totalMs: 9,
        authMs: 3,
        upstreamMs: 5,
      }),
    ).toBe("total;dur=9, auth;dur=3, upstream;dur=5");
  });
});
