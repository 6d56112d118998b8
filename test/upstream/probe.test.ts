/**
 * One probe, with a stand-in transport (the real transport against real pods is
 * test/worker/scheduled.workerd.test.ts): the request it sends, and which answers count as success.
 */
import { describe, expect, it } from "vitest";
import { RouteTableSchema } from "../../src/config/schema.ts";
import type { ActiveHealthPolicy } from "../../src/upstream/active-health.ts";
import { compileClusters } from "../../src/upstream/clusters.ts";
import { endpointUrl, PROBE_USER_AGENT, probeEndpoint } from "../../src/upstream/probe.ts";

const clusters = compileClusters(
  RouteTableSchema.parse({
    version: 1,
    clusters: {
      api: {
        endpoints: [{ url: "http://10.0.0.1:8080" }],
        hostname: "api.internal",
        healthCheck: { active: { path: "/healthz?deep=1", timeout: "50ms", expectedStatuses: [200, 204] } },
      },
    },
    routes: [],
  }),
);
const cluster = clusters.byName.get("api")!;
const endpoint = cluster.endpoints[0]!;
const policy: ActiveHealthPolicy = cluster.active!;

describe("probeEndpoint", () => {
  it("sends GET path to the endpoint with the Host a request would carry, and follows no redirect", async () => {
    let sent: Request | undefined;
    await probeEndpoint(
      async (request) => {
        sent = request;
        return new Response("ok");
      },
      cluster,
      endpoint,
      policy,
    );
    expect(sent?.method).toBe("GET");
    expect(sent?.url).toBe("http://10.0.0.1:8080/healthz?deep=1");
    expect(sent?.headers.get("host")).toBe("api.internal");
    expect(sent?.headers.get("user-agent")).toBe(PROBE_USER_AGENT);
    expect(sent?.redirect).toBe("manual");
  });

  it("succeeds only on an expected status", async () => {
    const answer = (status: number) =>
      probeEndpoint(async () => new Response(null, { status }), cluster, endpoint, policy);
    expect(await answer(204)).toMatchObject({ ok: true, result: "204" });
    expect(await answer(200)).toMatchObject({ ok: true, result: "200" });
    expect(await answer(301)).toMatchObject({ ok: false, result: "301" });
    expect(await answer(503)).toMatchObject({ ok: false, result: "503" });
  });

  it("fails on a timeout and on a failed connection, saying which", async () => {
    const hang = (request: Request) =>
      new Promise<Response>((_, reject) =>
        request.signal.addEventListener("abort", () => reject(new Error("aborted"))),
      );
    expect(await probeEndpoint(hang, cluster, endpoint, policy)).toMatchObject({
      ok: false,
      result: "timeout",
    });
    const refuse = async () => {
      throw new Error("connection refused");
    };
    expect(await probeEndpoint(refuse, cluster, endpoint, policy)).toMatchObject({
      ok: false,
      result: "connection failed: connection refused",
    });
  });

  it("keys the record by the endpoint URL in normal form", () => {
    expect(endpointUrl(endpoint)).toBe("http://10.0.0.1:8080/");
  });
});
