/**
 * RequestMirror against the real pods: the copy arrives at the mirror cluster as the origin received
 * it, `percent` is honoured, and the client's response is the origin's whatever the mirror does.
 */
import { beforeEach, describe, expect, it, vi } from "vitest";
import { MIRROR_TIMEOUT_MS } from "../../src/filters/request-mirror.ts";
import { gatewayFetch, gatewayFor } from "../support/gateway.ts";
import { delayNext, podRequests, resetAllPods, stopPod } from "../support/origins.ts";
import { clusterName, echoOf, podsCluster, tableFor } from "../upstream/support.ts";

beforeEach(resetAllPods);

function mirrorGateway(percent?: number) {
  const [main, shadow] = [clusterName("main"), clusterName("shadow")];
  return gatewayFor(
    tableFor("mirror.test", { [main]: podsCluster(["pod-a"]), [shadow]: podsCluster(["pod-c"]) }, [
      {
        filters: [
          {
            type: "RequestHeaderModifier",
            requestHeaderModifier: { set: [{ name: "x-env", value: "edge" }] },
          },
          {
            type: "RequestMirror",
            requestMirror: { backendRef: { name: shadow }, ...(percent === undefined ? {} : { percent }) },
          },
        ],
        backendRefs: [{ name: main }],
      },
    ]),
  );
}

describe("RequestMirror", () => {
  it("the mirror pod receives the request as the origin does (method, path, query, headers, body)", async () => {
    const gw = mirrorGateway();
    const res = await gatewayFetch(
      gw,
      "https://mirror.test/orders?id=7",
      // As a client over HTTP sends it: with its length (an unsized body is not mirrored).
      {
        method: "POST",
        body: '{"n":1}',
        headers: { "content-type": "application/json", "content-length": "7" },
      },
      { waitForBackground: true },
    );
    expect(res.status).toBe(200);
    expect((await echoOf(res)).pod).toBe("pod-a");
    const [origin] = await podRequests("pod-a");
    const mirrored = await podRequests("pod-c");
    expect(mirrored).toHaveLength(1);
    expect(mirrored[0]).toMatchObject({ method: "POST", url: "/orders?id=7", body: '{"n":1}' });
    expect(mirrored[0]!.headers["x-env"]).toBe("edge");
    expect(mirrored[0]!.headers["x-request-id"]).toBe(origin!.headers["x-request-id"]);
  });

  it("honours percent: 0 sends nothing, 50 sends about half", async () => {
    const none = mirrorGateway(0);
    for (let i = 0; i < 20; i++)
      await gatewayFetch(none, "https://mirror.test/", {}, { waitForBackground: true });
    expect(await podRequests("pod-c")).toEqual([]);

    const half = mirrorGateway(50);
    for (let i = 0; i < 200; i++) {
      const res = await gatewayFetch(half, "https://mirror.test/", {}, { waitForBackground: true });
      await res.body?.cancel();
    }
    const mirrored = (await podRequests("pod-c")).length;
    // 200 draws at p = 0.5: the standard deviation is 7; 40 either side is almost six of them.
    expect(mirrored).toBeGreaterThan(60);
    expect(mirrored).toBeLessThan(140);
  });

  it("a mirror that is down changes nothing for the client, and is logged", async () => {
    const gw = mirrorGateway();
    const baseline = await gatewayFetch(
      gw,
      "https://mirror.test/status/201",
      {},
      { waitForBackground: true },
    );
    await stopPod("pod-c");
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    try {
      const res = await gatewayFetch(gw, "https://mirror.test/status/201", {}, { waitForBackground: true });
      expect(res.status).toBe(baseline.status);
      expect((await echoOf(res)).pod).toBe("pod-a");
      const failures = warn.mock.calls.map((c) => JSON.parse(String(c[0])) as { type: string });
      expect(failures.map((f) => f.type)).toContain("mirror_failed");
    } finally {
      warn.mockRestore();
    }
  });

  it("a slow mirror is not waited for: the client's answer is complete while the mirror still waits", async () => {
    const gw = mirrorGateway();
    await delayNext("pod-c", 1, MIRROR_TIMEOUT_MS * 2);
    const started = Date.now();
    const res = await gatewayFetch(gw, "https://mirror.test/slow-mirror");
    expect((await echoOf(res)).pod).toBe("pod-a");
    // Well inside the mirror's own timeout: the response never waited for the mirror to answer or give up.
    expect(Date.now() - started).toBeLessThan(MIRROR_TIMEOUT_MS / 2);
    expect((await podRequests("pod-c")).map((r) => r.url)).toEqual(["/slow-mirror"]);
  });
});
