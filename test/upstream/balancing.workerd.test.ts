/**
 * Backend and endpoint choice against the real pods: weighted backendRefs (the Gateway API conformance
 * test's 70/30/0), weighted endpoints, and each load balancer.
 */
import { env } from "cloudflare:test";
import { SignJWT } from "jose";
import { beforeEach, describe, expect, it } from "vitest";
import type { RouteTableInput } from "../../src/config/schema.ts";
import type { GatewayConfig } from "../../src/gateway/compile.ts";
import { gatewayFetch, gatewayFor } from "../support/gateway.ts";
import { type PodName, resetAllPods } from "../support/origins.ts";
import { clusterName, podsCluster, tableFor } from "./support.ts";

beforeEach(resetAllPods);

/** Sends `count` requests, `parallel` at a time, and counts which pod answered. */
async function podCounts(
  gw: GatewayConfig,
  count: number,
  init: (i: number) => RequestInit = () => ({}),
  url = "https://lb.test/",
  parallel = 25,
): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (let start = 0; start < count; start += parallel) {
    const batch = [];
    for (let i = start; i < Math.min(count, start + parallel); i++) {
      batch.push(
        gatewayFetch(gw, url, init(i)).then(async (res) => {
          await res.body?.cancel();
          const pod = res.headers.get("x-pod") ?? `status ${res.status}`;
          counts[pod] = (counts[pod] ?? 0) + 1;
        }),
      );
    }
    await Promise.all(batch);
  }
  return counts;
}

async function podOf(gw: GatewayConfig, init: RequestInit = {}): Promise<string> {
  const res = await gatewayFetch(gw, "https://lb.test/", init);
  await res.body?.cancel();
  return res.headers.get("x-pod") ?? `status ${res.status}`;
}

describe("weighted backendRefs", () => {
  it("70/30/0 across three backends, within 5 points over 1000 requests; weight 0 gets nothing", async () => {
    const [a, b, c] = [clusterName("w70"), clusterName("w30"), clusterName("w0")];
    const gw = gatewayFor(
      tableFor(
        "lb.test",
        { [a]: podsCluster(["pod-a"]), [b]: podsCluster(["pod-b"]), [c]: podsCluster(["pod-c"]) },
        [
          {
            backendRefs: [
              { name: a, weight: 70 },
              { name: b, weight: 30 },
              { name: c, weight: 0 },
            ],
          },
        ],
      ),
    );
    const counts = await podCounts(gw, 1000);
    expect(counts["pod-c"]).toBeUndefined();
    expect(Math.abs((counts["pod-a"] ?? 0) / 1000 - 0.7)).toBeLessThan(0.05);
    expect(Math.abs((counts["pod-b"] ?? 0) / 1000 - 0.3)).toBeLessThan(0.05);
  });
});

describe("within a cluster", () => {
  const oneCluster = (cluster: Record<string, unknown>, extra: Partial<RouteTableInput> = {}) => {
    const name = clusterName("lb");
    return gatewayFor(
      tableFor("lb.test", { [name]: cluster as never }, [{ backendRefs: [{ name }] }], extra),
    );
  };

  it("weighted endpoints: 3 to 1, within 5 points over 800 requests; weight 0 gets nothing", async () => {
    const gw = oneCluster({
      endpoints: [
        { url: podsCluster(["pod-a"]).endpoints[0]!.url, weight: 3 },
        { url: podsCluster(["pod-b"]).endpoints[0]!.url, weight: 1 },
        { url: podsCluster(["pod-c"]).endpoints[0]!.url, weight: 0 },
      ],
    });
    const counts = await podCounts(gw, 800);
    expect(counts["pod-c"]).toBeUndefined();
    expect(Math.abs((counts["pod-a"] ?? 0) / 800 - 0.75)).toBeLessThan(0.05);
  });

  it("RoundRobin takes the endpoints in turn", async () => {
    const gw = oneCluster(podsCluster(["pod-a", "pod-b", "pod-c"], { loadBalancer: { type: "RoundRobin" } }));
    const order: string[] = [];
    for (let i = 0; i < 6; i++) order.push(await podOf(gw));
    expect(order).toEqual(["pod-a", "pod-b", "pod-c", "pod-a", "pod-b", "pod-c"]);
  });

  it("Random spreads requests over every endpoint", async () => {
    const gw = oneCluster(podsCluster(["pod-a", "pod-b"], { loadBalancer: { type: "Random" } }));
    const counts = await podCounts(gw, 400);
    expect(Math.abs((counts["pod-a"] ?? 0) / 400 - 0.5)).toBeLessThan(0.1);
  });

  const pods: PodName[] = ["pod-a", "pod-b", "pod-c"];

  it("ConsistentHash on a header: one key, one pod; many keys, every pod", async () => {
    const gw = oneCluster(podsCluster(pods, { loadBalancer: { type: "ConsistentHash", header: "x-user" } }));
    const first = await podOf(gw, { headers: { "x-user": "alice" } });
    for (let i = 0; i < 10; i++) expect(await podOf(gw, { headers: { "x-user": "alice" } })).toBe(first);
    const counts = await podCounts(gw, 300, (i) => ({ headers: { "x-user": `user-${i}` } }));
    for (const pod of pods) expect(counts[pod] ?? 0).toBeGreaterThan(50);
  });

  it("ConsistentHash on a cookie", async () => {
    const gw = oneCluster(podsCluster(pods, { loadBalancer: { type: "ConsistentHash", cookie: "tenant" } }));
    const first = await podOf(gw, { headers: { cookie: "a=1; tenant=acme; b=2" } });
    for (let i = 0; i < 10; i++)
      expect(await podOf(gw, { headers: { cookie: `tenant=acme; n=${i}` } })).toBe(first);
    const counts = await podCounts(gw, 300, (i) => ({ headers: { cookie: `tenant=t${i}` } }));
    for (const pod of pods) expect(counts[pod] ?? 0).toBeGreaterThan(50);
  });

  it("ConsistentHash on the source IP (CF-Connecting-IP)", async () => {
    const gw = oneCluster(podsCluster(pods, { loadBalancer: { type: "ConsistentHash", sourceIP: true } }));
    const first = await podOf(gw, { headers: { "cf-connecting-ip": "198.51.100.23" } });
    for (let i = 0; i < 10; i++) {
      expect(await podOf(gw, { headers: { "cf-connecting-ip": "198.51.100.23" } })).toBe(first);
    }
    const counts = await podCounts(gw, 300, (i) => ({
      headers: { "cf-connecting-ip": `198.51.${i >> 8}.${i & 255}` },
    }));
    for (const pod of pods) expect(counts[pod] ?? 0).toBeGreaterThan(50);
  });

  it("ConsistentHash on a verified JWT claim", async () => {
    const secret = new TextEncoder().encode((env as unknown as Record<string, string>).TEST_HMAC_SECRET);
    const token = (sub: string) =>
      new SignJWT({ sub })
        .setProtectedHeader({ alg: "HS256" })
        .setIssuer("https://issuer.test/")
        .setAudience("lb")
        .setExpirationTime("5m")
        .sign(secret);
    const gw = gatewayFor({
      version: 1,
      providers: {
        p: { issuer: "https://issuer.test/", audiences: ["lb"], secret: { binding: "TEST_HMAC_SECRET" } },
      },
      clusters: { hashed: podsCluster(pods, { loadBalancer: { type: "ConsistentHash", claim: "sub" } }) },
      routes: [
        {
          id: "r",
          hostnames: ["lb.test"],
          rules: [{ backendRefs: [{ name: "hashed" }], auth: { provider: "p" } }],
        },
      ],
    });
    const alice = { headers: { authorization: `Bearer ${await token("alice")}` } };
    const first = await podOf(gw, alice);
    expect(first).toMatch(/^pod-/);
    for (let i = 0; i < 10; i++) expect(await podOf(gw, alice)).toBe(first);
    const tokens = await Promise.all(Array.from({ length: 150 }, (_, i) => token(`user-${i}`)));
    const counts = await podCounts(gw, 150, (i) => ({ headers: { authorization: `Bearer ${tokens[i]}` } }));
    for (const pod of pods) expect(counts[pod] ?? 0).toBeGreaterThan(20);
  });

  it("ConsistentHash without the key in the request falls back to random choice", async () => {
    const gw = oneCluster(
      podsCluster(["pod-a", "pod-b"], { loadBalancer: { type: "ConsistentHash", header: "x-user" } }),
    );
    const counts = await podCounts(gw, 200);
    expect(counts["pod-a"] ?? 0).toBeGreaterThan(50);
    expect(counts["pod-b"] ?? 0).toBeGreaterThan(50);
  });
});
