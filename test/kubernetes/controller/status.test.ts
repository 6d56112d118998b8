/** The status the controller computes, without a cluster: shared parents, transition times, patches. */
import { describe, expect, it } from "vitest";
import {
  gatewayStatus,
  httpRouteStatus,
  ingressStatus,
  mergeConditions,
  type PublishState,
} from "../../../src/kubernetes/controller/status.ts";
import type { GatewayStatus, HTTPRouteStatus } from "../../../src/kubernetes/translate.ts";

const OURS = "gatehouse.dev/controller";
const T0 = "2026-12-01T00:00:00Z";
const T1 = "2026-12-02T00:00:00Z";
const PROGRAMMED: PublishState = { kind: "programmed", versionId: "0001796000000000-aaaaaaaaaaaa" };

function desiredRoute(accepted: "True" | "False", generation = 2): HTTPRouteStatus {
  return {
    object: { kind: "HTTPRoute", namespace: "shop", name: "shop" },
    generation,
    parents: [
      {
        parentRef: { name: "edge", namespace: "infra" },
        controllerName: OURS,
        conditions: [
          {
            type: "Accepted",
            status: accepted,
            reason: accepted === "True" ? "Accepted" : "NotAllowedByListeners",
            message: "",
          },
          { type: "ResolvedRefs", status: "True", reason: "ResolvedRefs", message: "" },
        ],
      },
    ],
  };
}

describe("mergeConditions", () => {
  it("keeps lastTransitionTime while the status holds and moves it when the status changes", () => {
    const before = [
      {
        type: "Accepted",
        status: "True",
        reason: "Accepted",
        message: "",
        lastTransitionTime: T0,
        observedGeneration: 1,
      },
      { type: "ResolvedRefs", status: "True", reason: "ResolvedRefs", message: "", lastTransitionTime: T0 },
    ];
    const after = mergeConditions(
      before,
      [
        { type: "Accepted", status: "True", reason: "Accepted", message: "still" },
        { type: "ResolvedRefs", status: "False", reason: "BackendNotFound", message: "gone" },
      ],
      2,
      T1,
    );
    expect(after).toEqual([
      {
        type: "Accepted",
        status: "True",
        reason: "Accepted",
        message: "still",
        observedGeneration: 2,
        lastTransitionTime: T0,
      },
      {
        type: "ResolvedRefs",
        status: "False",
        reason: "BackendNotFound",
        message: "gone",
        observedGeneration: 2,
        lastTransitionTime: T1,
      },
    ]);
  });
});

describe("httpRouteStatus", () => {
  const foreign = {
    parentRef: { name: "other" },
    controllerName: "example.com/other",
    conditions: [{ type: "Accepted" }],
  };

  it("keeps other controllers' entries first and untouched, and adds Programmed naming the version", () => {
    const patch = httpRouteStatus({ parents: [foreign] }, desiredRoute("True"), OURS, PROGRAMMED, T1);
    expect(patch?.parents[0]).toBe(foreign);
    expect(patch?.parents[1]).toMatchObject({
      controllerName: OURS,
      conditions: [
        { type: "Accepted", status: "True" },
        { type: "ResolvedRefs", status: "True" },
        {
          type: "Programmed",
          status: "True",
          message: `in route table version ${PROGRAMMED.kind === "programmed" && PROGRAMMED.versionId}`,
          observedGeneration: 2,
        },
      ],
    });
  });

  it("is undefined when the route already says it (no write, no event loop)", () => {
    const first = httpRouteStatus({}, desiredRoute("True"), OURS, PROGRAMMED, T0)!;
    expect(httpRouteStatus(first, desiredRoute("True"), OURS, PROGRAMMED, T1)).toBeUndefined();
  });

  it("a later publish that leaves the route as it was does not rewrite it: Programmed names the first version", () => {
    const first = httpRouteStatus({}, desiredRoute("True"), OURS, PROGRAMMED, T0)!;
    const later: PublishState = { kind: "programmed", versionId: "0001796000009999-bbbbbbbbbbbb" };
    expect(httpRouteStatus(first, desiredRoute("True"), OURS, later, T1)).toBeUndefined();
    // A new generation is programmed in the version that carries it.
    const changed = httpRouteStatus(first, desiredRoute("True", 3), OURS, later, T1)!;
    expect(
      (changed.parents[0] as { conditions: { type: string; message: string }[] }).conditions.at(-1)?.message,
    ).toBe("in route table version 0001796000009999-bbbbbbbbbbbb");
  });

  it("drops our entries from a route no longer ours, and only ours", () => {
    const ours = httpRouteStatus({}, desiredRoute("True"), OURS, PROGRAMMED, T0)!;
    const patch = httpRouteStatus({ parents: [foreign, ...ours.parents] }, undefined, OURS, PROGRAMMED, T1);
    expect(patch).toEqual({ parents: [foreign] });
  });

  it("a route not accepted is not Programmed; an invalid table names the version that stays", () => {
    const rejected = httpRouteStatus({}, desiredRoute("False"), OURS, PROGRAMMED, T0)!;
    expect(
      (rejected.parents[0] as { conditions: { type: string; status: string }[] }).conditions.at(-1),
    ).toMatchObject({
      type: "Programmed",
      status: "False",
      reason: "Invalid",
    });
    const invalid = httpRouteStatus(
      {},
      desiredRoute("True"),
      OURS,
      { kind: "invalid", reason: "1 problem(s)", activeVersionId: "v-old" },
      T0,
    )!;
    expect((invalid.parents[0] as { conditions: { message: string }[] }).conditions.at(-1)?.message).toMatch(
      /not published \(1 problem\(s\)\); version v-old stays active$/,
    );
  });
});

describe("gatewayStatus and ingressStatus", () => {
  const desired: GatewayStatus = {
    object: { kind: "Gateway", namespace: "infra", name: "edge" },
    generation: 1,
    conditions: [{ type: "Accepted", status: "True", reason: "Accepted", message: "" }],
    listeners: [
      {
        name: "https",
        attachedRoutes: 3,
        supportedKinds: [{ group: "gateway.networking.k8s.io", kind: "HTTPRoute" }],
        conditions: [],
      },
    ],
  };

  it("writes addresses, listeners with attachedRoutes, and Programmed; then nothing when unchanged", () => {
    const patch = gatewayStatus(undefined, desired, PROGRAMMED, { publicHostname: "gw.example.net" }, T0)!;
    expect(patch).toMatchObject({
      addresses: [{ type: "Hostname", value: "gw.example.net" }],
      listeners: [{ name: "https", attachedRoutes: 3 }],
      conditions: [{ type: "Accepted" }, { type: "Programmed", status: "True" }],
    });
    expect(
      gatewayStatus(patch, desired, PROGRAMMED, { publicHostname: "gw.example.net" }, T1),
    ).toBeUndefined();
  });

  it("sets the Ingress hostname while accepted and removes it (merge-patch null) when not", () => {
    const ingress = { object: { kind: "Ingress", namespace: "shop", name: "s" }, accepted: true, reason: "" };
    const set = ingressStatus({}, ingress, "gw.example.net");
    expect(set).toEqual({ loadBalancer: { ingress: [{ hostname: "gw.example.net" }] } });
    expect(ingressStatus(set, ingress, "gw.example.net")).toBeUndefined();
    expect(ingressStatus(set, { ...ingress, accepted: false }, "gw.example.net")).toEqual({
      loadBalancer: { ingress: null },
    });
    expect(ingressStatus({}, ingress, undefined)).toBeUndefined();
  });
});
