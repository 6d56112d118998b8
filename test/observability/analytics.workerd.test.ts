/**
 * One Analytics Engine data point per request, through the real pipeline in workerd. Local writes to a
 * real dataset binding are dropped by the runtime, so the binding here is a stand-in that records them.
 */
import { beforeAll, describe, expect, it } from "vitest";
import type { Env } from "../../src/gateway/env.ts";
import { requestDataPoint, statusClass } from "../../src/observability/analytics.ts";
import { bearer } from "../auth/harness.ts";
import { jwks, makeKey, mint, type TestKey } from "../auth/tokens.ts";
import { gatewayFetch, gatewayFor } from "../support/gateway.ts";
import { podUrl, putJwks, resetAllPods } from "../support/origins.ts";
import { recordingDataset } from "./support.ts";

const ISSUER = "https://idp.analytics.test/";
let key: TestKey;
let jwksUri: string;

beforeAll(async () => {
  key = await makeKey("ES256");
  jwksUri = await putJwks("analytics-idp", jwks(key), { cacheControl: "max-age=300" });
  await resetAllPods();
});

const gateway = () =>
  gatewayFor({
    version: 1,
    providers: { idp: { issuer: ISSUER, remoteJWKS: { uri: jwksUri } } },
    clusters: { pods: { endpoints: [{ url: podUrl("pod-a"), name: "pod-a" }] } },
    routes: [
      {
        id: "orders",
        hostnames: ["api.test"],
        rules: [
          {
            name: "private",
            matches: [{ path: { type: "PathPrefix", value: "/private" } }],
            backendRefs: [{ name: "pods" }],
            auth: { provider: "idp", audiences: ["orders"] },
          },
          { name: "public", backendRefs: [{ name: "pods" }] },
        ],
      },
    ],
  });

/** Blob and double positions, as docs/observability.md lists them. */
const B = {
  route: 0,
  rule: 1,
  cluster: 2,
  endpoint: 3,
  class: 4,
  auth: 5,
  provider: 6,
  cache: 7,
  error: 8,
  method: 9,
  host: 10,
  client: 11,
};
const D = { status: 0, total: 1, upstream: 2, version: 3, attempts: 4 };

describe("the request's data point", () => {
  it("records route, rule, cluster, endpoint, status, latency and table version for a forwarded request", async () => {
    const dataset = recordingDataset();
    const response = await gatewayFetch(
      gateway(),
      "https://api.test/hello",
      { headers: { "cf-connecting-ip": "198.51.100.7" } },
      { env: { ANALYTICS: dataset } as Partial<Env> },
    );
    expect(response.status).toBe(200);
    await response.body?.cancel();
    expect(dataset.points).toHaveLength(1);
    const [point] = dataset.points;
    expect(point!.indexes).toEqual(["orders"]);
    expect(point!.blobs).toEqual([
      "orders",
      "public",
      "pods",
      "pod-a",
      "2xx",
      "none",
      "",
      "",
      "",
      "GET",
      "api.test",
      "198.51.100.7",
    ]);
    expect(point!.doubles![D.status]).toBe(200);
    expect(point!.doubles![D.total]).toBeGreaterThanOrEqual(point!.doubles![D.upstream]!);
    expect(point!.doubles![D.version]).toBe(1);
    expect(point!.doubles![D.attempts]).toBe(1);
  });

  it("records the auth outcome, the provider and whether the token cache spared the signature check", async () => {
    const dataset = recordingDataset();
    const env = { env: { ANALYTICS: dataset } as Partial<Env> };
    const g = gateway();
    const token = await mint(key, { issuer: ISSUER, audience: "orders" });
    const foreign = await mint(key, { issuer: ISSUER, audience: "billing" });
    for (const init of [{}, bearer(token), bearer(token), bearer(foreign)]) {
      const response = await gatewayFetch(g, "https://api.test/private/1", init, env);
      await response.body?.cancel();
    }
    const seen = dataset.points.map((p) => [
      p.blobs![B.auth],
      p.blobs![B.cache],
      p.blobs![B.class],
      p.blobs![B.provider],
    ]);
    expect(seen).toEqual([
      ["token_missing", "", "4xx", "idp"],
      ["ok", "miss", "2xx", "idp"],
      ["ok", "hit", "2xx", "idp"],
      ["audience_mismatch", "", "4xx", "idp"],
    ]);
    expect(dataset.points[0]!.doubles![D.status]).toBe(401);
  });

  it("records a request no route matched, with the gateway's error code", async () => {
    const dataset = recordingDataset();
    const response = await gatewayFetch(
      gateway(),
      "https://elsewhere.test/",
      {},
      { env: { ANALYTICS: dataset } as Partial<Env> },
    );
    expect(response.status).toBe(404);
    await response.body?.cancel();
    expect(dataset.points[0]!.indexes).toEqual([""]);
    expect(dataset.points[0]!.blobs![B.error]).toBe("route_not_found");
    expect(dataset.points[0]!.blobs![B.cluster]).toBe("");
  });

  it("writes nothing, and fails nothing, without a binding or with a binding that throws", async () => {
    const none = await gatewayFetch(
      gateway(),
      "https://api.test/hello",
      {},
      { env: { ANALYTICS: undefined } as Partial<Env> },
    );
    expect(none.status).toBe(200);
    await none.body?.cancel();
    const errors: unknown[] = [];
    const original = console.error;
    console.error = (line: unknown) => errors.push(line);
    try {
      const throwing = {
        writeDataPoint: () => {
          throw new Error("quota");
        },
      };
      const response = await gatewayFetch(
        gateway(),
        "https://api.test/hello",
        {},
        { env: { ANALYTICS: throwing } as unknown as Partial<Env> },
      );
      expect(response.status).toBe(200);
      await response.body?.cancel();
    } finally {
      console.error = original;
    }
    expect(String(errors[0])).toContain('"event":"write_failed"');
  });
});

describe("requestDataPoint", () => {
  it("maps status classes, and keeps a numeric rule index as text", () => {
    expect([101, 204, 302, 429, 503].map(statusClass)).toEqual(["1xx", "2xx", "3xx", "4xx", "5xx"]);
    const point = requestDataPoint(
      { requestId: "r", method: "POST", host: "h", path: "/", route: "r1", rule: 0, status: 502 },
      "",
    );
    expect(point.blobs[B.rule]).toBe("0");
    expect(point.blobs[B.class]).toBe("5xx");
    expect(point.doubles).toEqual([502, 0, 0, 0, 0]);
  });
});
