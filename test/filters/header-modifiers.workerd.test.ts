/**
 * RequestHeaderModifier and ResponseHeaderModifier through the gateway: what the pod receives and what
 * the client gets back.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { gatewayFetch, gatewayFor } from "../support/gateway.ts";
import { resetAllPods } from "../support/origins.ts";
import { clusterName, echoOf, podsCluster, tableFor } from "../upstream/support.ts";

beforeEach(resetAllPods);

function modifierGateway() {
  const name = clusterName("hdr");
  return gatewayFor(
    tableFor("hdr.test", { [name]: podsCluster(["pod-a"]) }, [
      {
        filters: [
          {
            type: "RequestHeaderModifier",
            requestHeaderModifier: {
              set: [{ name: "X-Env", value: "edge" }],
              add: [{ name: "x-tag", value: "gateway" }],
              remove: ["x-debug"],
            },
          },
          {
            type: "ResponseHeaderModifier",
            responseHeaderModifier: {
              set: [{ name: "cache-control", value: "no-store" }],
              add: [{ name: "x-served-by", value: "gatehouse" }],
              remove: ["x-pod"],
            },
          },
        ],
        backendRefs: [{ name }],
      },
    ]),
  );
}

describe("header modifiers", () => {
  it("RequestHeaderModifier: set replaces, add appends, remove drops, on the request the pod receives", async () => {
    const res = await gatewayFetch(modifierGateway(), "https://hdr.test/", {
      headers: { "x-env": "client-said", "x-tag": "client", "x-debug": "1", "x-other": "kept" },
    });
    const { headers } = await echoOf(res);
    expect(headers["x-env"]).toBe("edge");
    expect(headers["x-tag"]).toBe("client, gateway");
    expect(headers["x-debug"]).toBeUndefined();
    expect(headers["x-other"]).toBe("kept");
  });

  it("ResponseHeaderModifier: the same on the pod's response, the body untouched", async () => {
    const res = await gatewayFetch(modifierGateway(), "https://hdr.test/status/202");
    expect(res.status).toBe(202);
    expect(res.headers.get("x-pod")).toBeNull();
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.headers.get("x-served-by")).toBe("gatehouse");
    expect((await echoOf(res)).pod).toBe("pod-a");
  });
});
