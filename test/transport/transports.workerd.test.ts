/**
 * The transports inside workerd. Workers VPC has no local simulator, so a VPC Service binding is played
 * by stand-ins that record what they were called with: a fetcher object placed in the environment, and a
 * real Miniflare service binding (`TEST_VPC_SERVICE` in vitest.config.ts) whose far side echoes the
 * request. Access-protected hostnames are played by the real pods on loopback (the only place the Access
 * transport will send a service token over plain HTTP).
 */
import { env } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import type { Cluster, RouteTableInput } from "../../src/config/schema.ts";
import { ClusterSchema } from "../../src/config/schema.ts";
import type { Env } from "../../src/gateway/env.ts";
import { missingBindings, resolveTransport } from "../../src/transport/index.ts";
import { gatewayFetch, gatewayFor } from "../support/gateway.ts";
import { podRequests, podUrl, resetAllPods } from "../support/origins.ts";
import type { PodEcho } from "./data-path.ts";

const cluster = (input: unknown): Cluster => ClusterSchema.parse(input);
const testEnv = (extra: Record<string, unknown> = {}) => ({ ...(env as unknown as Env), ...extra }) as Env;

interface Recorded {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: string;
}

/** A VPC Service stand-in: records each call, then plays the private network by forwarding to a pod. */
function recordingVpcService(pod: string) {
  const calls: Recorded[] = [];
  return {
    calls,
    async fetch(request: Request): Promise<Response> {
      const body = await request.text();
      calls.push({
        url: request.url,
        method: request.method,
        headers: Object.fromEntries(request.headers),
        body,
      });
      const url = new URL(request.url);
      // The VPC Service, not the URL, decides where the request lands: always this pod.
      return fetch(`${pod}${url.pathname}${url.search}`, {
        method: request.method,
        headers: request.headers,
        body: body || undefined,
      });
    },
  };
}

function expectOk(resolution: ReturnType<typeof resolveTransport>) {
  if (!resolution.ok) throw new Error(`expected a transport, got: ${resolution.message}`);
  return resolution;
}

function expectMisconfigured(
  resolution: ReturnType<typeof resolveTransport>,
  message: string | RegExp,
): void {
  expect(resolution.ok).toBe(false);
  if (resolution.ok) return;
  expect(resolution.code).toBe("transport_misconfigured");
  expect(resolution.message).toMatch(message);
}

beforeEach(async () => {
  await resetAllPods();
});

describe("direct", () => {
  it("fetches the endpoint as built (loopback plain HTTP is always allowed)", async () => {
    const t = expectOk(resolveTransport(cluster({ endpoints: [{ url: podUrl("pod-a") }] }), testEnv()));
    const res = await t.send(new Request(`${podUrl("pod-a")}/orders/7?x=1`, { headers: { "x-test": "1" } }));
    const echo = (await res.json()) as PodEcho;
    expect(echo.pod).toBe("pod-a");
    expect(echo.url).toBe("/orders/7?x=1");
    expect(echo.headers["x-test"]).toBe("1");
  });

  it("refuses plain HTTP to a non-loopback host unless the cluster allows it", () => {
    const insecure = { endpoints: [{ url: "http://10.0.0.5:9001" }, { url: "https://orders.example.com" }] };
    const refused = resolveTransport(cluster(insecure), testEnv());
    expectMisconfigured(refused, /1 of the cluster's endpoints use plain HTTP.*allowInsecure/);
    // The internal address never appears in a message that reaches clients.
    expect(!refused.ok && refused.message).not.toContain("10.0.0.5");
    const allowed = { ...insecure, transport: { type: "direct", allowInsecure: true } };
    expect(resolveTransport(cluster(allowed), testEnv()).ok).toBe(true);
    for (const url of [
      "https://orders.example.com",
      "http://localhost:8787",
      "http://api.localhost",
      "http://[::1]:1",
    ]) {
      expect(resolveTransport(cluster({ endpoints: [{ url }] }), testEnv()).ok).toBe(true);
    }
  });

  it("is resolved once per cluster and environment: every attempt reuses it", () => {
    const c = cluster({ endpoints: [{ url: podUrl("pod-a") }] });
    const e = testEnv();
    expect(resolveTransport(c, e)).toBe(resolveTransport(c, e));
  });
});

describe("vpc", () => {
  const vpcCluster = cluster({
    endpoints: [{ url: "http://orders.internal:8080" }],
    transport: { type: "vpc", binding: "ORDERS_VPC" },
  });

  it("sends through env[binding].fetch with the endpoint URL, whose host is Host and SNI", async () => {
    const vpc = recordingVpcService(podUrl("pod-b"));
    const t = expectOk(resolveTransport(vpcCluster, testEnv({ ORDERS_VPC: vpc })));
    const res = await t.send(
      new Request("http://orders.internal:8080/orders?id=7", {
        method: "POST",
        headers: { "content-type": "application/json", "x-request-id": "rid-1" },
        body: '{"n":1}',
      }),
    );
    expect(res.status).toBe(200);
    expect(((await res.json()) as PodEcho).pod).toBe("pod-b");
    expect(vpc.calls).toHaveLength(1);
    const [call] = vpc.calls;
    expect(call!.url).toBe("http://orders.internal:8080/orders?id=7");
    expect(new URL(call!.url).host).toBe("orders.internal:8080");
    expect(call!.method).toBe("POST");
    expect(call!.body).toBe('{"n":1}');
    expect(call!.headers["x-request-id"]).toBe("rid-1");
    expect(call!.headers.host).toBeUndefined();
  });

  it("moves a Host the route asked for into the URL, so Host and SNI agree", async () => {
    const vpc = recordingVpcService(podUrl("pod-b"));
    const t = expectOk(resolveTransport(vpcCluster, testEnv({ ORDERS_VPC: vpc })));
    await t.send(new Request("http://orders.internal:8080/x", { headers: { host: "orders.example.com" } }));
    expect(vpc.calls[0]!.url).toBe("http://orders.example.com/x");
    expect(vpc.calls[0]!.headers.host).toBeUndefined();
  });

  it("works across a real service binding (Miniflare), which sees the same URL and headers", async () => {
    const c = cluster({
      endpoints: [{ url: "https://billing.internal" }],
      transport: { type: "vpc", binding: "TEST_VPC_SERVICE" },
    });
    const t = expectOk(resolveTransport(c, testEnv()));
    const res = await t.send(new Request("https://billing.internal/invoices/1", { headers: { "x-a": "1" } }));
    const seen = (await res.json()) as Recorded;
    expect(seen.url).toBe("https://billing.internal/invoices/1");
    expect(seen.headers["x-a"]).toBe("1");
  });

  it("answers transport_misconfigured, never a crash, when the binding is missing or not a binding", () => {
    expectMisconfigured(resolveTransport(vpcCluster, testEnv()), /no VPC Service binding ORDERS_VPC/);
    expectMisconfigured(
      resolveTransport(vpcCluster, testEnv({ ORDERS_VPC: "a plain var" })),
      /ORDERS_VPC is not a VPC Service binding/,
    );
  });
});

describe("access", () => {
  const accessCluster = (extra: Record<string, unknown> = {}, url = podUrl("pod-c")) =>
    cluster({
      endpoints: [{ url }],
      transport: {
        type: "access",
        clientId: { binding: "TEST_ACCESS_CLIENT_ID" },
        clientSecret: { binding: "TEST_ACCESS_CLIENT_SECRET" },
        ...extra,
      },
    });

  it("adds the service token from the Worker secrets, replacing any copy the request carried", async () => {
    const t = expectOk(resolveTransport(accessCluster(), testEnv()));
    const res = await t.send(
      new Request(`${podUrl("pod-c")}/reports?q=1`, {
        headers: { "cf-access-client-id": "forged", "CF-Access-Client-Secret": "forged", "x-keep": "yes" },
      }),
    );
    const echo = (await res.json()) as PodEcho;
    expect(echo.pod).toBe("pod-c");
    expect(echo.url).toBe("/reports?q=1");
    expect(echo.headers["cf-access-client-id"]).toBe("test-client.access");
    expect(echo.headers["cf-access-client-secret"]).toBe("test-access-client-secret");
    expect(echo.headers["x-keep"]).toBe("yes");
    const [recorded] = await podRequests("pod-c");
    expect(recorded!.headers["cf-access-client-id"]).toBe("test-client.access");
  });

  it("sends to `hostname` in place of the endpoint's host, keeping scheme, path and query", async () => {
    const tunnelHost = new URL(podUrl("pod-c")).host;
    const c = accessCluster({ hostname: tunnelHost }, "http://127.0.0.1:1");
    const t = expectOk(resolveTransport(c, testEnv()));
    const res = await t.send(
      new Request("http://127.0.0.1:1/a/b?c=d", { headers: { host: "orders.internal" } }),
    );
    const echo = (await res.json()) as PodEcho;
    expect(echo.pod).toBe("pod-c");
    expect(echo.url).toBe("/a/b?c=d");
    // Access and the tunnel route on the hostname: that is the Host, whatever the request asked for.
    expect(echo.headers.host).toBe(tunnelHost);
  });

  it("never sends a service token over plain HTTP off the machine", () => {
    expectMisconfigured(
      resolveTransport(accessCluster({}, "http://orders.example.com"), testEnv()),
      /service token over plain HTTP/,
    );
    expectMisconfigured(
      resolveTransport(
        accessCluster({ hostname: "orders-tunnel.example.com" }, "http://127.0.0.1:9"),
        testEnv(),
      ),
      /service token over plain HTTP/,
    );
    expect(resolveTransport(accessCluster({}, "https://orders-tunnel.example.com"), testEnv()).ok).toBe(true);
    expect(
      resolveTransport(
        accessCluster({ hostname: "orders-tunnel.example.com" }, "https://orders.internal"),
        testEnv(),
      ).ok,
    ).toBe(true);
  });

  it("refuses a hostname that is not a host", () => {
    for (const hostname of ["https://x.example.com", "x.example.com/path", "user@x.example.com"]) {
      expectMisconfigured(resolveTransport(accessCluster({ hostname }), testEnv()), /is not a host name/);
    }
  });

  it("answers transport_misconfigured naming the missing secret", () => {
    const c = cluster({
      endpoints: [{ url: "https://orders-tunnel.example.com" }],
      transport: {
        type: "access",
        clientId: { binding: "NO_SUCH_ID" },
        clientSecret: { binding: "NO_SUCH_SECRET" },
      },
    });
    expectMisconfigured(
      resolveTransport(c, testEnv()),
      /no secret NO_SUCH_ID .*wrangler secret put NO_SUCH_ID/,
    );
    expectMisconfigured(resolveTransport(c, testEnv({ NO_SUCH_ID: "id" })), /no secret NO_SUCH_SECRET/);
    expect(resolveTransport(c, testEnv({ NO_SUCH_ID: "id", NO_SUCH_SECRET: "s" })).ok).toBe(true);
  });
});

describe("missingBindings against the test worker's real environment", () => {
  it("finds the configured test bindings and reports the rest", () => {
    const gw = gatewayFor({
      version: 1,
      clusters: {
        a: {
          endpoints: [{ url: "https://a.internal" }],
          transport: { type: "vpc", binding: "TEST_VPC_SERVICE" },
        },
        b: { endpoints: [{ url: "https://b.internal" }], transport: { type: "vpc", binding: "MISSING_VPC" } },
        c: {
          endpoints: [{ url: "https://c.example.com" }],
          transport: {
            type: "access",
            clientId: { binding: "TEST_ACCESS_CLIENT_ID" },
            clientSecret: { binding: "TEST_ACCESS_CLIENT_SECRET" },
          },
        },
      },
      providers: { hs: { issuer: "https://hs.test/", secret: { binding: "TEST_HMAC_SECRET" } } },
      routes: [],
    });
    expect(missingBindings(gw.table, testEnv()).map((m) => m.path)).toEqual(["clusters.b.transport.binding"]);
  });
});

/** Through the real pipeline: stripping, then the transport. */
describe("transports through the gateway", () => {
  const spoofed = {
    "x-forwarded-client-cert": 'Hash=00;Subject="CN=admin"',
    "cf-access-client-id": "forged-id",
    "cf-access-client-secret": "forged-secret",
    "cf-access-jwt-assertion": "forged.jwt",
    "cf-access-authenticated-user-email": "admin@example.com",
    "x-forwarded-for": "203.0.113.9",
  };

  const table = (): RouteTableInput => ({
    version: 1,
    clusters: {
      orders: {
        endpoints: [{ url: "http://orders.internal" }],
        transport: { type: "vpc", binding: "ORDERS_VPC" },
      },
      reports: {
        endpoints: [{ url: podUrl("pod-c") }],
        transport: {
          type: "access",
          clientId: { binding: "TEST_ACCESS_CLIENT_ID" },
          clientSecret: { binding: "TEST_ACCESS_CLIENT_SECRET" },
        },
      },
      lost: {
        endpoints: [{ url: "https://lost.example.com" }],
        transport: {
          type: "access",
          clientId: { binding: "LOST_ID" },
          clientSecret: { binding: "LOST_SECRET" },
        },
      },
      exposed: { endpoints: [{ url: "http://10.0.0.5:9001" }] },
    },
    routes: [
      { id: "orders", hostnames: ["orders.test"], rules: [{ backendRefs: [{ name: "orders" }] }] },
      { id: "reports", hostnames: ["reports.test"], rules: [{ backendRefs: [{ name: "reports" }] }] },
      { id: "lost", hostnames: ["lost.test"], rules: [{ backendRefs: [{ name: "lost" }] }] },
      { id: "exposed", hostnames: ["exposed.test"], rules: [{ backendRefs: [{ name: "exposed" }] }] },
    ],
  });

  it("vpc: the binding is called with the endpoint URL and none of the client's identity headers", async () => {
    const vpc = recordingVpcService(podUrl("pod-b"));
    const res = await gatewayFetch(
      gatewayFor(table()),
      "https://orders.test/orders/7?x=1",
      { headers: spoofed },
      { env: { ORDERS_VPC: vpc } },
    );
    expect(res.status).toBe(200);
    expect(vpc.calls).toHaveLength(1);
    const call = vpc.calls[0]!;
    expect(call.url).toBe("http://orders.internal/orders/7?x=1");
    for (const name of ["x-forwarded-client-cert", "cf-access-client-id", "cf-access-client-secret"]) {
      expect(call.headers[name]).toBeUndefined();
    }
    expect(call.headers["cf-access-jwt-assertion"]).toBeUndefined();
    expect(call.headers["x-forwarded-for"]).not.toBe("203.0.113.9");
  });

  it("access: the origin gets the worker's service token, not the client's", async () => {
    const res = await gatewayFetch(gatewayFor(table()), "https://reports.test/r/1", { headers: spoofed });
    expect(res.status).toBe(200);
    const echo = (await res.json()) as PodEcho;
    expect(echo.headers["cf-access-client-id"]).toBe("test-client.access");
    expect(echo.headers["cf-access-client-secret"]).toBe("test-access-client-secret");
    expect(echo.headers["cf-access-jwt-assertion"]).toBeUndefined();
    expect(echo.headers["cf-access-authenticated-user-email"]).toBeUndefined();
    expect(echo.headers["x-forwarded-client-cert"]).toBeUndefined();
  });

  it("missing bindings and secrets, and plain HTTP off the machine, answer 502 transport_misconfigured", async () => {
    const gw = gatewayFor(table());
    for (const [url, message] of [
      ["https://orders.test/x", /no VPC Service binding ORDERS_VPC/],
      ["https://lost.test/x", /no secret LOST_ID/],
      ["https://exposed.test/x", /plain HTTP/],
    ] as const) {
      const res = await gatewayFetch(gw, url);
      expect(res.status).toBe(502);
      const body = (await res.json()) as { error: string; message: string; requestId: string };
      expect(body.error).toBe("transport_misconfigured");
      expect(body.message).toMatch(message);
      expect(body.requestId).toBe(res.headers.get("x-request-id"));
    }
  });
});
