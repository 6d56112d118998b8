/**
 * The CORS filter through the gateway: preflights answered at the edge (before auth, never reaching an
 * origin), actual requests answered by the origin with the CORS headers added.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { gatewayFetch, gatewayFor } from "../support/gateway.ts";
import { podRequests, resetAllPods } from "../support/origins.ts";
import { clusterName, podsCluster, tableFor } from "../upstream/support.ts";

beforeEach(resetAllPods);

function corsGateway(withAuth = false) {
  const name = clusterName("cors");
  return gatewayFor(
    tableFor(
      "cors.test",
      { [name]: podsCluster(["pod-a"]) },
      [
        {
          filters: [
            {
              type: "CORS",
              cors: {
                allowOrigins: ["https://app.example.com", "https://*.partner.example"],
                allowMethods: ["GET", "POST", "DELETE"],
                allowHeaders: ["authorization", "content-type"],
                exposeHeaders: ["x-request-id"],
                allowCredentials: true,
                maxAge: 600,
              },
            },
          ],
          backendRefs: [{ name }],
          ...(withAuth ? { auth: { provider: "p" } } : {}),
        },
      ],
      withAuth
        ? {
            providers: {
              p: {
                issuer: "https://issuer.test/",
                secret: { binding: "TEST_HMAC_SECRET" },
                algorithms: ["HS256"],
              },
            },
          }
        : {},
    ),
  );
}

const preflight = (origin: string) => ({
  method: "OPTIONS",
  headers: {
    origin,
    "access-control-request-method": "DELETE",
    "access-control-request-headers": "authorization",
  },
});

describe("CORS", () => {
  it("a preflight is answered at the edge with the allow headers, before auth, and never reaches the pod", async () => {
    const gw = corsGateway(true);
    const res = await gatewayFetch(gw, "https://cors.test/orders/1", preflight("https://app.example.com"));
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
    expect(res.headers.get("access-control-allow-credentials")).toBe("true");
    expect(res.headers.get("access-control-allow-methods")).toBe("GET, POST, DELETE");
    expect(res.headers.get("access-control-allow-headers")).toBe("authorization, content-type");
    expect(res.headers.get("access-control-max-age")).toBe("600");
    expect(res.headers.get("vary")).toContain("Origin");
    expect(res.headers.get("x-request-id")).toBeTruthy();
    expect(await podRequests("pod-a")).toEqual([]);
  });

  it("a preflight from an origin not allowed gets no allow headers", async () => {
    const res = await gatewayFetch(corsGateway(), "https://cors.test/", preflight("https://evil.example"));
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
    expect(res.headers.get("access-control-allow-methods")).toBeNull();
    expect(await podRequests("pod-a")).toEqual([]);
  });

  it("an actual request reaches the pod and its response gets the CORS headers (wildcard host origins too)", async () => {
    const gw = corsGateway();
    const res = await gatewayFetch(gw, "https://cors.test/orders", {
      headers: { origin: "https://eu.partner.example" },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-pod")).toBe("pod-a");
    expect(res.headers.get("access-control-allow-origin")).toBe("https://eu.partner.example");
    expect(res.headers.get("access-control-allow-credentials")).toBe("true");
    expect(res.headers.get("access-control-expose-headers")).toBe("x-request-id");
    expect(res.headers.get("vary")).toContain("Origin");

    const other = await gatewayFetch(gw, "https://cors.test/orders", {
      headers: { origin: "https://evil.example" },
    });
    expect(other.status).toBe(200);
    expect(other.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("the gateway's own refusals carry the CORS headers too, so a browser can read them", async () => {
    const res = await gatewayFetch(corsGateway(true), "https://cors.test/orders", {
      headers: { origin: "https://app.example.com" },
    });
    expect(res.status).toBe(401);
    expect(res.headers.get("access-control-allow-origin")).toBe("https://app.example.com");
  });
});
