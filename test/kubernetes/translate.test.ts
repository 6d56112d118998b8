/**
 * translate(): statuses, class claiming, and the cases the golden files do not isolate (one bad object
 * does not sink the table, problems land on the object and field that caused them, policies, endpoints).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { validateRouteTable } from "../../src/config/validate.ts";
import { intersectHostnames } from "../../src/kubernetes/gateway-api.ts";
import { parseManifests } from "../../src/kubernetes/manifests.ts";
import type { KubeObject } from "../../src/kubernetes/objects.ts";
import {
  DEFAULT_CONTROLLER_NAME,
  formatImportProblem,
  type TranslateOptions,
  translate,
} from "../../src/kubernetes/translate.ts";
import { FIXTURES } from "./fixtures.ts";

const fixture = (name: string) =>
  parseManifests(readFileSync(join(FIXTURES, `${name}.yaml`), "utf8"), `${name}.yaml`).objects;

const lines = (objects: KubeObject[], options?: TranslateOptions) =>
  translate(objects, options).problems.map(formatImportProblem);

const service = (namespace: string, name: string, port = 80): KubeObject => ({
  kind: "Service",
  metadata: { namespace, name },
  spec: { ports: [{ name: "http", port }] },
});
const gateway: KubeObject = {
  kind: "Gateway",
  metadata: { namespace: "infra", name: "edge" },
  spec: {
    gatewayClassName: "gatehouse",
    listeners: [{ name: "http", protocol: "HTTP", port: 80, allowedRoutes: { namespaces: { from: "All" } } }],
  },
};
const route = (name: string, rules: unknown[], extra: Record<string, unknown> = {}): KubeObject =>
  ({
    kind: "HTTPRoute",
    metadata: { namespace: "shop", name, generation: 2 },
    spec: { parentRefs: [{ name: "edge", namespace: "infra" }], rules, ...extra },
  }) as KubeObject;

describe("hostname intersection (Gateway API)", () => {
  it.each([
    [undefined, [], "any"],
    [undefined, ["a.example.com"], ["a.example.com"]],
    ["a.example.com", [], ["a.example.com"]],
    ["*.example.com", ["a.example.com", "other.org"], ["a.example.com"]],
    ["a.example.com", ["*.example.com"], ["a.example.com"]],
    ["*.example.com", ["*.b.example.com"], ["*.b.example.com"]],
    ["*.b.example.com", ["*.example.com"], ["*.b.example.com"]],
    ["*.example.com", ["example.com"], "none"],
    ["A.Example.com", ["a.example.COM"], ["a.example.COM"]],
  ] as const)("listener %s ∩ route %j = %j", (listener, routeHostnames, expected) => {
    expect(intersectHostnames(listener, routeHostnames)).toEqual(expected);
  });
});

describe("status", () => {
  const { status } = translate(fixture("gateway-api"));
  const parentConditions = (name: string) =>
    status.httpRoutes
      .find((r) => r.object.name === name)!
      .parents.map((p) => Object.fromEntries(p.conditions.map((c) => [c.type, `${c.status} ${c.reason}`])));

  it("gives each HTTPRoute parent Accepted and ResolvedRefs with the Gateway API reasons", () => {
    expect(parentConditions("web")).toEqual([
      { Accepted: "True Accepted", ResolvedRefs: "False InvalidKind" },
    ]);
    expect(parentConditions("billing")).toEqual([
      { Accepted: "True Accepted", ResolvedRefs: "False RefNotPermitted" },
    ]);
    expect(parentConditions("catch-all")).toEqual([
      { Accepted: "True Accepted", ResolvedRefs: "True ResolvedRefs" },
    ]);
    expect(parentConditions("sneaky")[0]!.Accepted).toBe("False NotAllowedByListeners");
    expect(parentConditions("elsewhere")[0]!.Accepted).toBe("False NoMatchingListenerHostname");
    expect(parentConditions("wrong-port")[0]!.Accepted).toBe("False NoMatchingParent");
  });

  it("sets observedGeneration and the controller name", () => {
    const web = status.httpRoutes.find((r) => r.object.name === "web")!;
    expect(web.generation).toBe(7);
    expect(web.parents[0]!.controllerName).toBe(DEFAULT_CONTROLLER_NAME);
    expect(web.parents[0]!.parentRef).toEqual({ name: "edge", namespace: "infra", sectionName: "http" });
    for (const c of web.parents[0]!.conditions) expect(c.observedGeneration).toBe(7);
  });

  it("counts attached routes per listener and refuses what it cannot serve", () => {
    const edge = status.gateways[0]!;
    expect(edge.conditions[0]).toMatchObject({ type: "Accepted", status: "True" });
    expect(edge.listeners.map((l) => [l.name, l.attachedRoutes, l.conditions[0]!.reason])).toEqual([
      ["http", 3, "Accepted"],
      ["https", 1, "Accepted"],
      ["raw", 0, "UnsupportedProtocol"],
    ]);
    expect(edge.listeners[2]!.supportedKinds).toEqual([]);
    expect(status.gatewayClasses.map((c) => c.object.name)).toEqual(["gatehouse"]);
  });

  it("says which Ingresses made it into the table", () => {
    const { status: ingress } = translate(fixture("ingress-nginx"));
    expect(Object.fromEntries(ingress.ingresses.map((i) => [i.object.name, i.accepted]))).toEqual({
      admin: false,
      api: true,
      storefront: true,
      "storefront-canary": true,
    });
  });
});

describe("which Gateways and Ingresses are taken", () => {
  const objects = [...fixture("gateway-api"), ...fixture("ingress-nginx")];
  const routeIds = (options: TranslateOptions) => translate(objects, options).table.routes.map((r) => r.id);

  it("takes every one offline, or one class with --class", () => {
    expect(routeIds({})).toEqual(expect.arrayContaining(["shop/web", "shop/storefront"]));
    expect(routeIds({ className: "gatehouse" }).every((id) => !id.startsWith("shop/store"))).toBe(true);
    expect(routeIds({ className: "gatehouse" })).toContain("shop/web");
    // The default IngressClass (nginx) covers the Ingress that names none.
    expect(routeIds({ className: "nginx" })).toEqual(["shop/api", "shop/storefront"]);
  });

  it("claims by controller name when asked to (the live controller)", () => {
    expect(routeIds({ controllerName: DEFAULT_CONTROLLER_NAME })).toContain("shop/web");
    // The IngressClass names ingress-nginx's controller, not ours.
    expect(routeIds({ controllerName: DEFAULT_CONTROLLER_NAME })).not.toContain("shop/storefront");
    expect(routeIds({ controllerName: "example.com/other" })).toEqual([]);
  });
});

describe("one bad object does not sink the table", () => {
  it("keeps out a route validation refuses, reports it on the object's own field, and keeps the rest", () => {
    const objects = [
      gateway,
      service("shop", "web"),
      route("good", [{ backendRefs: [{ name: "web", port: 80 }] }], { hostnames: ["good.example.com"] }),
      route("bad", [
        {
          matches: [{ path: { type: "RegularExpression", value: "(a+)+" } }],
          backendRefs: [{ name: "web", port: 80 }],
        },
      ]),
    ];
    const translation = translate(objects);
    expect(translation.table.routes.map((r) => r.id)).toEqual(["shop/good"]);
    expect(validateRouteTable(translation.table).ok).toBe(true);
    const problem = translation.problems
      .map(formatImportProblem)
      .find((l) => l.startsWith("HTTPRoute shop/bad"));
    expect(problem).toMatch(
      /^HTTPRoute shop\/bad: spec\.rules\[0\]\.matches\[0\]\.path\.value: .*\(the route is left out of the table\)$/,
    );
    const bad = translation.status.httpRoutes.find((r) => r.object.name === "bad")!;
    expect(bad.parents[0]!.conditions[0]).toMatchObject({
      type: "Accepted",
      status: "False",
      reason: "UnsupportedValue",
    });
  });

  it("reports a policy value the table refuses on the policy", () => {
    const objects = [
      gateway,
      service("shop", "web"),
      route("web", [{ backendRefs: [{ name: "web", port: 80 }] }]),
      {
        kind: "GatehousePolicy",
        metadata: { namespace: "shop", name: "broken" },
        spec: { targetRefs: [{ group: "", kind: "Service", name: "web" }], transport: { type: "vpc" } },
      } as KubeObject,
    ];
    const problems = lines(objects);
    expect(problems.some((l) => l.startsWith("HTTPRoute shop/web") || l.includes("transport"))).toBe(true);
    expect(translate(objects).table.routes).toEqual([]);
  });
});

describe("nothing is dropped silently", () => {
  it("reports fields Gatehouse does not know, with their path", () => {
    const problems = lines([
      gateway,
      service("shop", "web"),
      route("web", [
        {
          backendRefs: [{ name: "web", port: 80, filters: [{ type: "RequestHeaderModifier" }] }],
          futureField: 1,
        },
      ]),
    ]);
    expect(problems).toContain(
      "HTTPRoute shop/web: spec.rules[0].futureField: not supported by Gatehouse: ignored",
    );
    expect(problems).toContain(
      "HTTPRoute shop/web: spec.rules[0].backendRefs[0].filters: per-backend filters are not supported: ignored (put them on the rule)",
    );
  });

  it("refuses a mirror to another namespace without a ReferenceGrant, and a backend of another kind", () => {
    const problems = lines([
      gateway,
      service("shop", "web"),
      service("other", "shadow"),
      route("web", [
        {
          filters: [
            {
              type: "RequestMirror",
              requestMirror: { backendRef: { name: "shadow", namespace: "other", port: 80 } },
            },
          ],
          backendRefs: [
            { name: "web", port: 80 },
            { kind: "Bucket", group: "example.com", name: "b" },
          ],
        },
      ]),
    ]);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^HTTPRoute shop\/web: spec\.rules\[0\]\.filters\[0\]\.requestMirror\.backendRef: no ReferenceGrant .* \(RefNotPermitted\): nothing is mirrored$/,
        ),
        expect.stringMatching(
          /^HTTPRoute shop\/web: spec\.rules\[0\]\.backendRefs\[1\]: example\.com\/Bucket is not a backend .*\(InvalidKind\)/,
        ),
      ]),
    );
  });

  it("reports a policy that targets nothing, or puts a field where it has no meaning", () => {
    const problems = lines([
      {
        kind: "GatehousePolicy",
        metadata: { namespace: "shop", name: "p" },
        spec: { targetRefs: [{ group: "", kind: "Service", name: "ghost" }], tls: { httpsRedirect: true } },
      } as KubeObject,
    ]);
    expect(problems).toEqual([
      "GatehousePolicy shop/p: spec.tls: has no meaning for a Service (targetRefs[0]): route fields go in a policy targeting the Gateway, HTTPRoute or Ingress",
      "GatehousePolicy shop/p: spec.targetRefs[0]: no Service shop/ghost in the input: the policy applies to nothing",
    ]);
  });
});

describe("endpoints", () => {
  const slice = (endpoints: unknown[], addressType = "IPv4"): KubeObject =>
    ({
      kind: "EndpointSlice",
      metadata: { namespace: "shop", name: "web-abc", labels: { "kubernetes.io/service-name": "web" } },
      addressType,
      ports: [{ name: "http", port: 8080 }],
      endpoints,
    }) as KubeObject;
  const clusterOf = (objects: KubeObject[]) =>
    translate(
      [
        gateway,
        service("shop", "web"),
        route("web", [{ backendRefs: [{ name: "web", port: 80 }] }]),
        ...objects,
      ],
      {
        endpointSource: "EndpointSlices",
      },
    ).table.clusters?.["shop.web.80"];

  it("uses terminating endpoints that still serve only when none is ready", () => {
    expect(
      clusterOf([
        slice([
          { addresses: ["10.0.0.3"], conditions: { ready: false, serving: true, terminating: true } },
          { addresses: ["10.0.0.4"], conditions: { ready: false, serving: false, terminating: true } },
        ]),
      ])?.endpoints,
    ).toEqual([{ url: "http://10.0.0.3:8080", name: "10.0.0.3" }]);
  });

  it("brackets IPv6 addresses", () => {
    expect(clusterOf([slice([{ addresses: ["fd00::1"] }], "IPv6")])?.endpoints).toEqual([
      { url: "http://[fd00::1]:8080", name: "fd00::1" },
    ]);
  });

  it("answers 503 (a weight-0 endpoint, warned) when no pod serves", () => {
    expect(
      clusterOf([slice([{ addresses: ["10.0.0.9"], conditions: { ready: false, serving: false } }])])
        ?.endpoints,
    ).toEqual([{ url: "http://web.shop.svc.cluster.local:80", weight: 0, name: "no-ready-endpoints" }]);
  });
});

describe("the same input gives the same table", () => {
  it("whatever the order, and a duplicate object is said once", () => {
    const objects = fixture("gateway-api");
    const forward = translate(objects);
    const backward = translate([...objects].reverse());
    expect(JSON.stringify(backward.table)).toBe(JSON.stringify(forward.table));
    expect(lines([...objects, objects[1]!])).toContain(
      "warning: Gateway infra/edge: appears more than once in the input: the last copy is used",
    );
  });
});

describe("policy values the table refuses", () => {
  it("are reported on the policy field, and what depends on them is left out", () => {
    const objects = [
      gateway,
      service("shop", "web"),
      route("web", [{ backendRefs: [{ name: "web", port: 80 }] }]),
      {
        kind: "GatehousePolicy",
        metadata: { namespace: "shop", name: "backend" },
        spec: { targetRefs: [{ group: "", kind: "Service", name: "web" }], transport: { type: "vpc" } },
      } as KubeObject,
      {
        kind: "GatehousePolicy",
        metadata: { namespace: "shop", name: "auth" },
        spec: {
          targetRefs: [{ group: "gateway.networking.k8s.io", kind: "HTTPRoute", name: "web" }],
          providers: {
            "bad.one": { issuer: "https://a.example.com/", algorithms: ["none"], secret: { binding: "S" } },
          },
        },
      } as KubeObject,
    ];
    const translation = translate(objects);
    const problems = translation.problems.map(formatImportProblem);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^GatehousePolicy shop\/backend: spec\.transport\.binding: .*\(routes to it are left out\)$/,
        ),
        expect.stringMatching(
          /^GatehousePolicy shop\/auth: spec\.providers\["bad\.one"\]\.algorithms\[0\]: .*\(the provider is left out\)$/,
        ),
        expect.stringMatching(
          /^HTTPRoute shop\/web: spec\.rules\[0\]\.backendRefs\[0\]\.name: no cluster "shop\.web\.80" \(the route is left out of the table\)$/,
        ),
      ]),
    );
    expect(translation.table.routes).toEqual([]);
    expect(validateRouteTable(translation.table).ok).toBe(true);
  });
});

describe("attachedRoutes", () => {
  it("counts only the routes that made it into the table", () => {
    const translation = translate([
      gateway,
      service("shop", "web"),
      route("good", [{ backendRefs: [{ name: "web", port: 80 }] }]),
      route("bad", [{ matches: [{ path: { type: "RegularExpression", value: "(a+)+" } }] }]),
    ]);
    expect(translation.status.gateways[0]!.listeners[0]!.attachedRoutes).toBe(1);
  });
});

describe("problems with hostnames point at the hostname as written", () => {
  it("for an HTTPRoute and for an Ingress", () => {
    const problems = lines([
      gateway,
      service("shop", "web"),
      route("web", [{ backendRefs: [{ name: "web", port: 80 }] }], {
        hostnames: ["ok.example.com", "bad_host.example.com"],
      }),
      {
        kind: "Ingress",
        metadata: { namespace: "shop", name: "web" },
        spec: {
          rules: [
            {
              host: "fine.example.com",
              http: {
                paths: [
                  {
                    path: "/",
                    pathType: "Prefix",
                    backend: { service: { name: "web", port: { number: 80 } } },
                  },
                ],
              },
            },
            {
              host: "10.0.0.1",
              http: {
                paths: [
                  {
                    path: "/",
                    pathType: "Prefix",
                    backend: { service: { name: "web", port: { number: 80 } } },
                  },
                ],
              },
            },
          ],
        },
      } as KubeObject,
    ]);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^HTTPRoute shop\/web: spec\.hostnames\[1\]: .*\(the route is left out of the table\)$/,
        ),
        expect.stringMatching(
          /^Ingress shop\/web: spec\.rules\[1\]\.host: .*IP addresses are not allowed \(the route is left out of the table\)$/,
        ),
      ]),
    );
  });
});
