/**
 * Passive health against the real pods: a pod taken off the network mid-test is ejected after
 * `consecutiveGatewayErrors` failed attempts, gets no traffic while ejected, and is used again once
 * `baseEjectionTime` has passed; a cluster whose every endpoint is ejected is still tried. What is not
 * the endpoint's fault (a client's body that never arrives or breaks off) is not counted; an answer no
 * client can be given (a 101 without an upgrade, a status outside 200–599) is a counted 502.
 */
import { beforeEach, describe, expect, it } from "vitest";
import type { GatewayConfig } from "../../src/gateway/compile.ts";
import { describeEndpointHealth } from "../../src/upstream/index.ts";
import { gatewayFetch, gatewayFor } from "../support/gateway.ts";
import { delayNext, failNext, podRequests, resetAllPods, startPod, stopPod } from "../support/origins.ts";
import { accessLogDuring, clusterName, echoOf, podsCluster, tableFor } from "./support.ts";

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

/** A one-pod cluster that two gateway errors in a row would eject, behind a short `request` timeout. */
function fragileGateway(timeout = "200ms") {
  const name = clusterName("blame");
  return gatewayFor(
    tableFor(
      "health.test",
      {
        [name]: podsCluster(["pod-a"], {
          healthCheck: { passive: { consecutiveGatewayErrors: 2, baseEjectionTime: "30s" } },
        }),
      },
      [{ backendRefs: [{ name }], timeouts: { request: timeout } }],
    ),
  );
}

/** A POST of `body` declaring `declared` bytes, as a client's request reaches the Worker. */
function post(gw: GatewayConfig, body: ReadableStream<Uint8Array>, declared: number) {
  return gatewayFetch(gw, "https://health.test/upload", {
    method: "POST",
    body,
    headers: { "content-length": String(declared) },
  });
}

const bytes = (text: string) => new TextEncoder().encode(text);

async function gatewayError(res: Response) {
  const body = (await res.json()) as { error: string; requestId: string };
  expect(body.requestId).toBe(res.headers.get("x-request-id"));
  return body.error;
}

describe("what a client cannot charge to an endpoint", () => {
  it("a body that never arrives (Content-Length: 10, no bytes): 408, and the pod is not charged", async () => {
    const gw = fragileGateway();
    const { result: statuses } = await accessLogDuring(async () => {
      const seen: [number, string][] = [];
      for (let i = 0; i < 4; i++) {
        const res = await post(gw, new ReadableStream<Uint8Array>(), 10);
        seen.push([res.status, await gatewayError(res)]);
      }
      return seen;
    });
    expect(statuses).toEqual(Array(4).fill([408, "request_timeout"]));
    expect(healthOf(gw, "pod-a")).toMatchObject({ healthy: true, consecutiveErrors: 0 });
    // The pod is still believed, and an honest upload goes through.
    const res = await post(gw, new Blob(["0123456789"]).stream(), 10);
    expect(res.status).toBe(200);
    expect((await echoOf(res)).body).toBe("0123456789");
  });

  it("a body that ends short of its Content-Length, or breaks off: 400, and the pod is not charged", async () => {
    const gw = fragileGateway("5s");
    const { result: errors } = await accessLogDuring(async () => {
      const seen: [number, string][] = [];
      for (let i = 0; i < 2; i++) {
        const short = new ReadableStream<Uint8Array>({
          start(controller) {
            controller.enqueue(bytes("abc"));
            controller.close();
          },
        });
        const res = await post(gw, short, 10);
        seen.push([res.status, await gatewayError(res)]);
        const cut = new ReadableStream<Uint8Array>({
          start(controller) {
            controller.enqueue(bytes("abc"));
            setTimeout(() => controller.error(new Error("client went away")), 20);
          },
        });
        const cutRes = await post(gw, cut, 10);
        seen.push([cutRes.status, await gatewayError(cutRes)]);
      }
      return seen;
    });
    expect(errors).toEqual(Array(4).fill([400, "incomplete_request_body"]));
    expect(healthOf(gw, "pod-a")).toMatchObject({ healthy: true, consecutiveErrors: 0 });
  });

  it("a whole body the origin is slow to answer is still the origin's 504, and counts", async () => {
    const gw = fragileGateway();
    await delayNext("pod-a", 1, 1000);
    const res = await accessLogDuring(() => post(gw, new Blob(["0123456789"]).stream(), 10));
    expect(res.result.status).toBe(504);
    expect(await gatewayError(res.result)).toBe("upstream_timeout");
    expect(healthOf(gw, "pod-a").consecutiveErrors).toBe(1);
  });
});

describe("what an origin is charged for that the client cannot be given", () => {
  it.each([
    ["101 to a request that asked for no upgrade", "101"],
    ["a status above 599", "600"],
  ])("%s: 502 upstream_invalid_response with a request id, counted against the endpoint", async (_, code) => {
    const gw = fragileGateway("5s");
    const { result: answers } = await accessLogDuring(async () => {
      const seen: [number, string][] = [];
      for (let i = 0; i < 2; i++) {
        const res = await gatewayFetch(gw, `https://health.test/raw-status/${code}`);
        seen.push([res.status, await gatewayError(res)]);
      }
      return seen;
    });
    expect(answers).toEqual(Array(2).fill([502, "upstream_invalid_response"]));
    expect(healthOf(gw, "pod-a").healthy).toBe(false);
  });
});
