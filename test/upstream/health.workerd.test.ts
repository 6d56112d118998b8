/**
 * Passive health against the real pods: a pod taken off the network mid-test is ejected after
 * `consecutiveGatewayErrors` failed attempts, gets no traffic while ejected, and is used again once
 * `baseEjectionTime` has passed; a cluster whose every endpoint is ejected is still tried.
 */
import { beforeEach, describe, expect, it } from "vitest";
import type { GatewayConfig } from "../../src/gateway/compile.ts";
import { describeEndpointHealth } from "../../src/upstream/index.ts";
import { gatewayFetch, gatewayFor } from "../support/gateway.ts";
import { failNext, podRequests, resetAllPods, startPod, stopPod } from "../support/origins.ts";
import { accessLogDuring, clusterName, podsCluster, tableFor } from "./support.ts";

beforeEach(resetAllPods);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function healthOf(gw: GatewayConfig, endpoint: string) {
  return describeEndpointHealth(gw.clusters).find((e) => e.endpoint === endpoint)!;
}

/** Sends `count` requests one after another; the access-log line of each. */
async function send(gw: GatewayConfig, count: number) {
  const { lines } = await accessLogDuring(async () => {
    for (let i = 0; i < count; i++) {
      const res = await gatewayFetch(gw, "https://health.test/");
      await res.body?.cancel();
    }
  });
  return lines;
}

describe("passive health", () => {
  it("a pod killed mid-test is ejected after consecutive gateway errors and used again after baseEjectionTime", async () => {
    const name = clusterName("health");
    const gw = gatewayFor(
      tableFor(
        "health.test",
        {
          [name]: podsCluster(["pod-a", "pod-b"], {
            healthCheck: { passive: { consecutiveGatewayErrors: 2, baseEjectionTime: "1s" } },
          }),
        },
        [{ backendRefs: [{ name }] }],
      ),
    );
    // Both pods serve while healthy.
    const before = await send(gw, 4);
    expect(new Set(before.map((l) => l.endpoint))).toEqual(new Set(["pod-a", "pod-b"]));

    await stopPod("pod-b");
    // Every client still gets an answer: a refused connection is retried on pod-a. pod-b's failures
    // count, and the second one ejects it.
    const during = await send(gw, 6);
    expect(during.every((l) => l.status === 200 && l.endpoint === "pod-a")).toBe(true);
    const failedOnB = during.filter((l) => l.attempts === 2).length;
    expect(failedOnB).toBe(2);
    expect(healthOf(gw, "pod-b").healthy).toBe(false);
    // Once ejected, pod-b is not even tried: one attempt per request.
    expect(during.slice(-2).every((l) => l.attempts === 1)).toBe(true);

    await startPod("pod-b");
    const servedByB = (await podRequests("pod-b")).length;
    const stillEjected = await send(gw, 4);
    expect(stillEjected.every((l) => l.endpoint === "pod-a")).toBe(true);
    expect((await podRequests("pod-b")).length).toBe(servedByB);

    await sleep(1100);
    expect(healthOf(gw, "pod-b").healthy).toBe(true);
    const after = await send(gw, 4);
    expect(after.filter((l) => l.endpoint === "pod-b").length).toBeGreaterThan(0);
    expect(after.every((l) => l.status === 200 && l.attempts === 1)).toBe(true);
  });

  it("502/503/504 answers count as gateway errors too; other statuses do not", async () => {
    const name = clusterName("health");
    const gw = gatewayFor(
      tableFor(
        "health.test",
        {
          [name]: podsCluster(["pod-a"], {
            healthCheck: { passive: { consecutiveGatewayErrors: 3, baseEjectionTime: "30s" } },
          }),
        },
        [{ backendRefs: [{ name }] }],
      ),
    );
    await failNext("pod-a", 5, 500);
    await send(gw, 5);
    expect(healthOf(gw, "pod-a")).toMatchObject({ healthy: true, consecutiveErrors: 0 });

    await failNext("pod-a", 3, 503);
    const lines = await send(gw, 3);
    expect(lines.map((l) => l.status)).toEqual([503, 503, 503]);
    expect(healthOf(gw, "pod-a").healthy).toBe(false);
  });

  it("when every endpoint is ejected they are tried anyway, rather than failing fast", async () => {
    const name = clusterName("health");
    const gw = gatewayFor(
      tableFor(
        "health.test",
        {
          [name]: podsCluster(["pod-a", "pod-b"], {
            healthCheck: { passive: { consecutiveGatewayErrors: 1, baseEjectionTime: "30s" } },
          }),
        },
        [{ backendRefs: [{ name }] }],
      ),
    );
    await failNext("pod-a", 1, 502);
    await failNext("pod-b", 1, 502);
    // No retry policy: each 502 goes back to the client, and each ejects its pod.
    const failing = await send(gw, 2);
    expect(failing.map((l) => l.status)).toEqual([502, 502]);
    expect(describeEndpointHealth(gw.clusters).every((e) => !e.healthy)).toBe(true);

    const served = await send(gw, 4);
    expect(served.map((l) => l.status)).toEqual([200, 200, 200, 200]);
    expect(served.every((l) => l.error === undefined)).toBe(true);
  });
});
