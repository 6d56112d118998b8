/**
 * The forwarder inside workerd against the real pods: what the origin receives, what the client gets
 * back, streams and WebSockets passing through as they are written.
 */
import { beforeEach, describe, expect, it } from "vitest";
import type { Env } from "../../src/gateway/env.ts";
import { gatewayFetch, gatewayFor } from "../support/gateway.ts";
import { podRequests, podUrl, resetAllPods } from "../support/origins.ts";
import { accessLogDuring, clusterName, echoOf, podsCluster, readUntil, tableFor } from "./support.ts";

beforeEach(resetAllPods);

function oneClusterGateway(host: string, extraRule: Record<string, unknown> = {}, trustRequestId = false) {
  const name = clusterName("fwd");
  const table = tableFor(host, { [name]: podsCluster(["pod-a"]) }, [
    { backendRefs: [{ name }], ...extraRule },
  ]);
  if (trustRequestId) table.routes[0]!.trustRequestId = true;
  return gatewayFor(table);
}

describe("what the origin receives", () => {
  it("the method, the matched path and the query exactly as the client wrote it", async () => {
    const gw = oneClusterGateway("fwd.test");
    const res = await gatewayFetch(gw, "https://fwd.test/a/b%20c/d?x=1&flag&y=%2F");
    expect(res.status).toBe(200);
    const echo = await echoOf(res);
    expect(echo.pod).toBe("pod-a");
    expect(echo.method).toBe("GET");
    expect(echo.url).toBe("/a/b%20c/d?x=1&flag&y=%2F");
  });

  it("a request body, streamed with its length", async () => {
    const gw = oneClusterGateway("fwd.test");
    const body = JSON.stringify({ order: 7, items: ["a", "b"] });
    // As a client's request reaches the Worker: workerd puts a known body length in `Content-Length`.
    const res = await gatewayFetch(gw, "https://fwd.test/orders", {
      method: "POST",
      body,
      headers: { "content-type": "application/json", "content-length": String(body.length) },
    });
    const echo = await echoOf(res);
    expect(echo.method).toBe("POST");
    expect(echo.body).toBe(body);
    expect(echo.headers["content-length"]).toBe(String(body.length));
    expect(echo.headers["content-type"]).toBe("application/json");
  });

  it("no hop-by-hop headers: Keep-Alive, TE, Trailer, Proxy-*, and whatever Connection names", async () => {
    const gw = oneClusterGateway("fwd.test");
    const res = await gatewayFetch(gw, "https://fwd.test/", {
      headers: {
        connection: "x-hop-secret",
        "x-hop-secret": "1",
        "keep-alive": "timeout=5",
        te: "trailers",
        trailer: "x-checksum",
        "proxy-authorization": "Basic Zm9vOmJhcg==",
        "proxy-connection": "keep-alive",
        "x-end-to-end": "kept",
      },
    });
    const { headers } = await echoOf(res);
    for (const name of [
      "x-hop-secret",
      "keep-alive",
      "te",
      "trailer",
      "proxy-authorization",
      "proxy-connection",
    ]) {
      expect(headers[name], name).toBeUndefined();
    }
    expect(headers["x-end-to-end"]).toBe("kept");
  });

  it("X-Forwarded-For is the address Cloudflare saw; a client's own chain is dropped", async () => {
    const gw = oneClusterGateway("fwd.test");
    const res = await gatewayFetch(gw, "https://fwd.test/", {
      headers: {
        "cf-connecting-ip": "203.0.113.7",
        "x-forwarded-for": "6.6.6.6, 10.0.0.1",
        forwarded: "for=6.6.6.6",
        "x-real-ip": "6.6.6.6",
      },
    });
    const { headers } = await echoOf(res);
    expect(headers["x-forwarded-for"]).toBe("203.0.113.7");
    expect(headers.forwarded).toBeUndefined();
    expect(headers["x-real-ip"]).toBeUndefined();
    expect(headers["x-forwarded-proto"]).toBe("https");
    expect(headers["x-forwarded-host"]).toBe("fwd.test");
  });

  it("nothing a client says about the URL, the method, its address or the proxy chain reaches the origin", async () => {
    const gw = oneClusterGateway("fwd.test");
    const claims = {
      // request-URL overrides
      "x-original-url": "/admin",
      "x-rewrite-url": "/admin",
      "x-forwarded-uri": "/admin",
      "x-forwarded-path": "/admin",
      "x-forwarded-prefix": "/admin",
      "x-envoy-original-path": "/admin",
      // method overrides
      "x-http-method-override": "DELETE",
      "x-http-method": "DELETE",
      "x-method-override": "DELETE",
      // client-address claims
      "true-client-ip": "10.0.0.1",
      "x-client-ip": "10.0.0.1",
      "x-real-ip": "10.0.0.1",
      forwarded: "for=10.0.0.1;proto=https;host=admin.internal",
      // the rest of the proxy chain
      "x-forwarded-scheme": "https",
      "x-forwarded-server": "admin.internal",
      "x-forwarded-port": "8443",
      // Cloudflare Access identity
      "cf-access-authenticated-user-email": "admin@example.com",
      "cf-access-jwt-assertion": "forged.jwt.value",
      "cf-access-client-id": "forged",
    };
    const res = await gatewayFetch(gw, "https://fwd.test/items", {
      headers: { ...claims, "cf-connecting-ip": "203.0.113.7", "x-end-to-end": "kept" },
    });
    const echo = await echoOf(res);
    for (const name of Object.keys(claims)) expect(echo.headers[name], name).toBeUndefined();
    expect(echo.method).toBe("GET");
    expect(echo.url).toBe("/items");
    expect(echo.headers["x-end-to-end"]).toBe("kept");
    // What the gateway asserts itself is still there, from what it observed.
    expect(echo.headers["x-forwarded-for"]).toBe("203.0.113.7");
    expect(echo.headers["x-forwarded-proto"]).toBe("https");
    expect(echo.headers["x-forwarded-host"]).toBe("fwd.test");
  });

  it("no X-Forwarded-For at all when Cloudflare named no client address", async () => {
    const gw = oneClusterGateway("fwd.test");
    const res = await gatewayFetch(gw, "http://fwd.test:8080/", {
      headers: { "x-forwarded-for": "6.6.6.6" },
    });
    const { headers } = await echoOf(res);
    expect(headers["x-forwarded-for"]).toBeUndefined();
    expect(headers["x-forwarded-proto"]).toBe("http");
    expect(headers["x-forwarded-host"]).toBe("fwd.test:8080");
  });

  it("X-Request-Id: generated, sent to the origin and echoed to the client; a client's id is replaced", async () => {
    const gw = oneClusterGateway("fwd.test");
    const res = await gatewayFetch(gw, "https://fwd.test/", { headers: { "x-request-id": "client-chosen" } });
    const id = res.headers.get("x-request-id");
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect((await echoOf(res)).headers["x-request-id"]).toBe(id);
  });

  it("X-Request-Id: kept when the route trusts its callers", async () => {
    const gw = oneClusterGateway("fwd.test", {}, true);
    const res = await gatewayFetch(gw, "https://fwd.test/", { headers: { "x-request-id": "caller-7f3a" } });
    expect(res.headers.get("x-request-id")).toBe("caller-7f3a");
    expect((await echoOf(res)).headers["x-request-id"]).toBe("caller-7f3a");
  });

  it("traceparent: a valid one is propagated with its tracestate; none or a broken one starts a trace", async () => {
    const gw = oneClusterGateway("fwd.test");
    const parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    const kept = await echoOf(
      await gatewayFetch(gw, "https://fwd.test/", { headers: { traceparent: parent, tracestate: "v=1" } }),
    );
    expect(kept.headers.traceparent).toBe(parent);
    expect(kept.headers.tracestate).toBe("v=1");

    const fresh: Record<string, string>[] = [{}, { traceparent: "00-zz-bad-01", tracestate: "v=1" }];
    for (const headers of fresh) {
      const started = await echoOf(await gatewayFetch(gw, "https://fwd.test/", { headers }));
      expect(started.headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
      expect(started.headers.traceparent).not.toBe(parent);
      expect(started.headers.tracestate).toBeUndefined();
    }
  });

  it("Host is the endpoint's own by default", async () => {
    const gw = oneClusterGateway("fwd.test");
    const { headers } = await echoOf(await gatewayFetch(gw, "https://fwd.test/"));
    expect(headers.host).toBe(new URL(podUrl("pod-a")).host);
  });

  it("Host is the cluster's hostname, and a URLRewrite hostname beats it (seen through a VPC binding)", async () => {
    const seen: string[] = [];
    const vpc = {
      fetch: async (request: Request) => {
        seen.push(new URL(request.url).host);
        return new Response("ok");
      },
    };
    const gw = gatewayFor({
      version: 1,
      clusters: {
        [clusterName("vpc")]: {
          endpoints: [{ url: "http://orders.internal:8080" }],
          transport: { type: "vpc", binding: "HOST_VPC" },
          hostname: "orders.example.com",
        },
      },
      routes: [],
    });
    const name = Object.keys(gw.table.clusters)[0]!;
    const table = tableFor("host.test", gw.table.clusters, [
      {
        matches: [{ path: { type: "PathPrefix", value: "/rewritten" } }],
        backendRefs: [{ name }],
        filters: [{ type: "URLRewrite", urlRewrite: { hostname: "api.internal" } }],
      },
      { backendRefs: [{ name }] },
    ]);
    const options = { env: { HOST_VPC: vpc } as Partial<Env> };
    await gatewayFetch(gatewayFor(table), "https://host.test/x", {}, options);
    await gatewayFetch(gatewayFor(table), "https://host.test/rewritten/x", {}, options);
    expect(seen).toEqual(["orders.example.com", "api.internal"]);
  });
});

describe("what the client gets back", () => {
  it("the origin's status, headers and body, with the request id", async () => {
    const gw = oneClusterGateway("fwd.test");
    const res = await gatewayFetch(gw, "https://fwd.test/status/418");
    expect(res.status).toBe(418);
    expect(res.headers.get("x-pod")).toBe("pod-a");
    expect(res.headers.get("x-request-id")).toBeTruthy();
    expect((await echoOf(res)).url).toBe("/status/418");
  });

  it("an origin's redirect is passed through, never followed", async () => {
    const gw = oneClusterGateway("fwd.test");
    const res = await gatewayFetch(gw, "https://fwd.test/redirect");
    expect(res.status).toBe(302);
    expect(res.headers.get("location")).toBe("/elsewhere");
    const requests = await podRequests("pod-a");
    expect(requests.map((r) => r.url)).toEqual(["/redirect"]);
  });

  it("a gzip body keeps its Content-Encoding (byte-for-byte: test/upstream/compression.test.ts)", async () => {
    const gw = oneClusterGateway("fwd.test");
    const res = await gatewayFetch(gw, "https://fwd.test/gzip", { headers: { "accept-encoding": "gzip" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-encoding")).toBe("gzip");
    expect(await res.text()).toBe("compressed hello from pod-a\n");
  });

  it("server-sent events arrive as written: the first event before the origin has finished", async () => {
    const gw = oneClusterGateway("fwd.test");
    // The second event is ten minutes away: a buffering gateway would never answer within the test.
    const res = await gatewayFetch(gw, "https://fwd.test/sse?count=2&interval=600000");
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    const text = await readUntil(res.body!, (t) => t.includes("\n\n"));
    expect(text).toContain('data: {"pod":"pod-a","n":0}');
    expect(text).not.toContain('"n":1');
  });

  it("a chunked response arrives chunk by chunk", async () => {
    const gw = oneClusterGateway("fwd.test");
    // 100 000 chunks 5 ms apart: more than eight minutes in all, and we read only the first.
    const res = await gatewayFetch(gw, "https://fwd.test/stream?chunks=100000&interval=5");
    const text = await readUntil(res.body!, (t) => t.includes("\n"));
    expect(text.startsWith("chunk 0 from pod-a\n")).toBe(true);
  });

  it("a WebSocket upgrade reaches the pod and messages echo through the gateway", async () => {
    const gw = oneClusterGateway("fwd.test");
    const res = await gatewayFetch(gw, "https://fwd.test/ws", { headers: { upgrade: "websocket" } });
    expect(res.status).toBe(101);
    expect(res.headers.get("x-request-id")).toBeTruthy();
    const socket = res.webSocket!;
    socket.accept();
    const replies = collectMessages(socket, 2);
    socket.send("whoami");
    socket.send("hello through the gateway");
    expect(await replies).toEqual(["pod-a", "hello through the gateway"]);
    socket.close(1000, "done");
    const upgrade = (await podRequests("pod-a")).find((r) => r.url === "/ws");
    expect(upgrade?.headers.upgrade).toBe("websocket");
  });

  it("the request timeout bounds the wait for headers, not an established event stream or WebSocket", async () => {
    const gw = oneClusterGateway("fwd.test", { timeouts: { request: "300ms", backendRequest: "300ms" } });
    const sse = await gatewayFetch(gw, "https://fwd.test/sse?count=3&interval=400");
    const all = await readUntil(sse.body!, (t) => t.includes('"n":2'));
    expect(all).toContain('"n":2');

    const ws = await gatewayFetch(gw, "https://fwd.test/ws", { headers: { upgrade: "websocket" } });
    const socket = ws.webSocket!;
    socket.accept();
    await new Promise((resolve) => setTimeout(resolve, 700));
    const reply = collectMessages(socket, 1);
    socket.send("still here");
    expect(await reply).toEqual(["still here"]);
    socket.close(1000, "done");
  });
});

describe("the gateway's own errors", () => {
  const expectError = async (res: Response, status: number, code: string) => {
    expect(res.status).toBe(status);
    const text = await res.text();
    const body = JSON.parse(text) as { error: string; message: string; requestId: string };
    expect(body.error).toBe(code);
    expect(body.requestId).toBe(res.headers.get("x-request-id"));
    expect(body.message.length).toBeGreaterThan(0);
    expect(text).not.toMatch(/127\.0\.0\.1|localhost|at \w+ \(/);
    return body;
  };

  it("500 no_backend: a rule without backendRefs, or with only zero weights", async () => {
    const name = clusterName("err");
    const gw = gatewayFor(
      tableFor("err.test", { [name]: podsCluster(["pod-a"]) }, [
        { matches: [{ path: { type: "PathPrefix", value: "/none" } }] },
        { backendRefs: [{ name, weight: 0 }] },
      ]),
    );
    await expectError(await gatewayFetch(gw, "https://err.test/none"), 500, "no_backend");
    await expectError(await gatewayFetch(gw, "https://err.test/zero"), 500, "no_backend");
    expect(await podRequests("pod-a")).toEqual([]);
  });

  it("502 upstream_unreachable: nothing listens at the endpoint", async () => {
    const name = clusterName("err");
    const gw = gatewayFor(
      tableFor("err.test", { [name]: { endpoints: [{ url: "http://127.0.0.1:1" }] } }, [
        { backendRefs: [{ name }] },
      ]),
    );
    await expectError(await gatewayFetch(gw, "https://err.test/x"), 502, "upstream_unreachable");
  });

  it("503 no_healthy_endpoint: every endpoint of the cluster has weight 0", async () => {
    const name = clusterName("err");
    const gw = gatewayFor(
      tableFor("err.test", { [name]: { endpoints: [{ url: podUrl("pod-a"), weight: 0 }] } }, [
        { backendRefs: [{ name }] },
      ]),
    );
    await expectError(await gatewayFetch(gw, "https://err.test/x"), 503, "no_healthy_endpoint");
  });

  it("504 upstream_timeout: no response headers within backendRequest, or within request", async () => {
    for (const timeouts of [{ backendRequest: "100ms" }, { request: "100ms" }]) {
      const gw = oneClusterGateway("err.test", { timeouts });
      await expectError(await gatewayFetch(gw, "https://err.test/delay/5000"), 504, "upstream_timeout");
    }
  });

  it("0s disables a timeout", async () => {
    const gw = oneClusterGateway("err.test", { timeouts: { request: "0s", backendRequest: "0s" } });
    expect((await gatewayFetch(gw, "https://err.test/delay/200")).status).toBe(200);
  });
});

describe("the access log", () => {
  it("one line per request: route, rule, cluster, endpoint, status, times, attempts, request id", async () => {
    const gw = oneClusterGateway("log.test");
    const { result: res, lines } = await accessLogDuring(() =>
      gatewayFetch(gw, "https://log.test/x?token=secret-in-query", {
        headers: { authorization: "Bearer secret-token", cookie: "session=secret-cookie" },
      }),
    );
    await res.body?.cancel();
    expect(lines).toHaveLength(1);
    const line = lines[0]!;
    expect(line).toMatchObject({
      route: "r",
      rule: 0,
      endpoint: "pod-a",
      status: 200,
      attempts: 1,
      requestId: res.headers.get("x-request-id"),
      path: "/x",
    });
    expect(line.cluster).toMatch(/^fwd-/);
    expect(line.totalMs).toBeGreaterThanOrEqual(0);
    expect(line.upstreamMs).toBeGreaterThanOrEqual(0);
    expect(JSON.stringify(line)).not.toMatch(/secret/);
  });
});

function collectMessages(socket: WebSocket, count: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const messages: string[] = [];
    socket.addEventListener("message", (event) => {
      messages.push(String(event.data));
      if (messages.length === count) resolve(messages);
    });
    socket.addEventListener("close", () => reject(new Error(`closed after ${messages.length} messages`)));
  });
}
