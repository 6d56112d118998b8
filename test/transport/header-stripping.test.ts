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
    "X-Forwarded-Client-Cert": "forged",
    "X-Table-Cert": "forged",
    "X-Route-Cert": "forged",
    "X-Keep": "kept",
  };

  it("lists the Access headers, the default XFCC and every configured forward header", () => {
    expect(spoofableHeaders(table)).toEqual(
      expect.arrayContaining([
        "cf-access-client-id",
        "cf-access-client-secret",
        "cf-access-jwt-assertion",
        "x-forwarded-client-cert",
        "x-table-cert",
        "x-route-cert",
      ]),
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
