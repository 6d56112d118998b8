/**
 * What a client can never hand to an origin through any transport: the Access service-token headers and
 * every client-certificate forward header the table names (src/gateway/strip-headers.ts).
 */
import { describe, expect, it } from "vitest";
import { RouteTableSchema } from "../../src/config/schema.ts";
import { prepareUpstreamHeaders, spoofableHeaders } from "../../src/gateway/strip-headers.ts";

const table = RouteTableSchema.parse({
  version: 1,
  tls: { clientCertificate: { mode: "Optional", forwardHeader: "X-Table-Cert" } },
  routes: [
    {
      id: "r",
      tls: { clientCertificate: { mode: "Off", forwardHeader: "X-Route-Cert" } },
      rules: [{}],
    },
  ],
});

describe("identity headers stripped from every client request", () => {
  const forged = {
    "CF-Access-Client-Id": "forged",
    "CF-Access-Client-Secret": "forged",
    "Cf-Access-Jwt-Assertion": "forged",
    "Cf-Access-Authenticated-User-Email": "admin@example.com",
    "X-Forwarded-Client-Cert": "forged",
    "X-Table-Cert": "forged",
    "X-Route-Cert": "forged",
    "X-Keep": "kept",
  };

  it("lists the default XFCC and every configured forward header (Cf-Access-* goes by prefix)", () => {
    expect(spoofableHeaders(table)).toEqual(
      expect.arrayContaining(["x-forwarded-client-cert", "x-table-cert", "x-route-cert"]),
    );
  });

  it("removes them, whatever their case, and keeps the rest", () => {
    const url = new URL("https://api.example.com/x");
    const request = new Request(url, { headers: forged });
    const headers = prepareUpstreamHeaders(request, url, spoofableHeaders(table), "rid");
    for (const name of Object.keys(forged).filter((n) => n !== "X-Keep"))
      expect(headers.has(name)).toBe(false);
    expect(headers.get("x-keep")).toBe("kept");
  });

  it("removes the default XFCC even from a table that mentions no client certificates", () => {
    const bare = RouteTableSchema.parse({ version: 1, routes: [] });
    const url = new URL("https://api.example.com/x");
    const headers = prepareUpstreamHeaders(
      new Request(url, { headers: forged }),
      url,
      spoofableHeaders(bare),
      "r",
    );
    expect(headers.has("x-forwarded-client-cert")).toBe(false);
    expect(headers.has("cf-access-client-secret")).toBe(false);
  });
});

describe("the origin's request headers, built in one pass", () => {
  const url = new URL("https://api.example.com/x");
  const bare = spoofableHeaders(RouteTableSchema.parse({ version: 1, routes: [] }));
  const prepare = (headers: Record<string, string>, id = "gateway-id") =>
    prepareUpstreamHeaders(new Request(url, { headers }), url, bare, id);

  it("drops what Connection lists, wherever the name sorts, and every Proxy-* header", () => {
    const headers = prepare({
      connection: "keep-alive, a-hop, z-hop",
      "a-hop": "1",
      "z-hop": "1",
      "proxy-authorization": "Basic x",
      te: "trailers",
      "x-keep": "kept",
    });
    for (const name of ["connection", "a-hop", "z-hop", "proxy-authorization", "te", "upgrade"]) {
      expect(headers.has(name), name).toBe(false);
    }
    expect(headers.get("x-keep")).toBe("kept");
  });

  it("asserts the proxy chain and the request id itself", () => {
    const headers = prepare({
      "x-forwarded-for": "6.6.6.6",
      "x-forwarded-host": "evil.example",
      "x-request-id": "client-id",
      "cf-connecting-ip": "203.0.113.9",
    });
    expect(headers.get("x-forwarded-for")).toBe("203.0.113.9");
    expect(headers.get("x-forwarded-proto")).toBe("https");
    expect(headers.get("x-forwarded-host")).toBe("api.example.com");
    expect(headers.get("x-request-id")).toBe("gateway-id");
    expect(headers.get("cf-connecting-ip")).toBe("203.0.113.9");
    expect(prepare({ "x-forwarded-for": "6.6.6.6" }).has("x-forwarded-for")).toBe(false);
  });

  it("keeps a well-formed traceparent with its tracestate, and replaces any other", () => {
    const valid = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    const kept = prepare({ traceparent: valid, tracestate: "vendor=1" });
    expect(kept.get("traceparent")).toBe(valid);
    expect(kept.get("tracestate")).toBe("vendor=1");
    const replaced = prepare({
      traceparent: "00-00000000000000000000000000000000-b7ad6b7169203331-01",
      tracestate: "vendor=1",
    });
    expect(replaced.get("traceparent")).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(replaced.get("traceparent")).not.toContain("0000000000000000");
    expect(replaced.has("tracestate")).toBe(false);
  });

  it("keeps a WebSocket handshake's Upgrade and Connection, and no other upgrade", () => {
    const ws = prepare({ upgrade: "WebSocket", connection: "Upgrade", "sec-websocket-key": "k" });
    expect(ws.get("upgrade")).toBe("websocket");
    expect(ws.get("connection")).toBe("Upgrade");
    expect(ws.get("sec-websocket-key")).toBe("k");
    const h2c = prepare({ upgrade: "h2c", connection: "Upgrade, HTTP2-Settings", "http2-settings": "x" });
    expect(h2c.has("upgrade")).toBe(false);
    expect(h2c.has("connection")).toBe(false);
    expect(h2c.has("http2-settings")).toBe(false);
  });
});
