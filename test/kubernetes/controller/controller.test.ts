/**
 * The controller live against the test API server: objects are created, changed and deleted through the
 * API while it runs, and the published table (through the real publish code) and the status written
 * back follow. Short debounce and lease times keep each case to about a second.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { translate } from "../../../src/kubernetes/translate.ts";
import { MemoryKv } from "../../store/memory-kv.ts";
import type { KubeApiServer } from "../../support/kube-api-server.ts";
import {
  activeTable,
  Cluster,
  endpointSlice,
  gateway,
  gatewayClass,
  hostnamesOf,
  httpRoute,
  type Manifest,
  PUBLIC_HOSTNAME,
  type RunningController,
  routeConditions,
  service,
  startApiServer,
  startController,
  until,
  untilTable,
} from "./harness.ts";

let server: KubeApiServer;
let cluster: Cluster;
let kv: MemoryKv;
const running: RunningController[] = [];

beforeEach(async () => {
  server = await startApiServer();
  cluster = new Cluster(server);
  kv = new MemoryKv();
});
afterEach(async () => {
  for (const r of running.splice(0)) await r.stop();
  await server.stop();
});

async function start(options: Parameters<typeof startController>[2] = {}): Promise<RunningController> {
  const r = await startController(server, kv, options);
  running.push(r);
  return r;
}

async function smallCluster(): Promise<void> {
  await cluster.create(gatewayClass);
  await cluster.create(gateway);
  await cluster.create(service("storefront"));
  await cluster.create(endpointSlice("storefront", 9001));
}

describe("gatehouse controller, live", () => {
  it("publishes on create, change and delete, and the status follows each", async () => {
    await smallCluster();
    await start();
    const route = httpRoute("shop", "shop.example.com", "storefront");
    await cluster.create(route);

    const first = await untilTable(kv, "the route published", (t) =>
      hostnamesOf(t).includes("shop.example.com"),
    );
    expect(first.table.routes.map((r) => r.id)).toEqual(["shop/shop"]);
    expect(first.publishedBy).toBe("gatehouse controller (replica-a)");
    const accepted = await until("route status", () => {
      const c = routeConditions(cluster.get(route));
      return c?.Programmed?.message.includes(first.pointer.id) ? c : undefined;
    });
    expect(accepted.Accepted).toMatchObject({ status: "True", reason: "Accepted", observedGeneration: 1 });
    expect(accepted.ResolvedRefs).toMatchObject({ status: "True", reason: "ResolvedRefs" });
    expect(accepted.Programmed).toMatchObject({
      status: "True",
      reason: "Programmed",
      observedGeneration: 1,
    });

    const gw = await until("gateway status", () => {
      const s = cluster.get(gateway)?.status as { listeners?: { attachedRoutes: number }[] } | undefined;
      return s?.listeners?.[0]?.attachedRoutes === 1 ? s : undefined;
    });
    expect(gw).toMatchObject({
      addresses: [{ type: "Hostname", value: PUBLIC_HOSTNAME }],
      conditions: [
        { type: "Accepted", status: "True" },
        { type: "Programmed", status: "True" },
      ],
    });
    await until("GatewayClass accepted", () => {
      const c = (
        cluster.get(gatewayClass)?.status as { conditions?: { type: string; status: string }[] } | undefined
      )?.conditions;
      return c?.some((x) => x.type === "Accepted" && x.status === "True");
    });

    // A spec change: a new generation, a new version, the status says both.
    await cluster.patch(route, { spec: { hostnames: ["store.example.com"] } });
    const second = await untilTable(kv, "the change published", (t) =>
      hostnamesOf(t).includes("store.example.com"),
    );
    expect(hostnamesOf(second)).toEqual(["store.example.com"]);
    expect(second.pointer.history[0]?.id).toBe(first.pointer.id);
    await until("status of generation 2", () => {
      const c = routeConditions(cluster.get(route));
      return c?.Programmed?.observedGeneration === 2 && c.Programmed.message.includes(second.pointer.id);
    });

    // Deleted: gone from the table, and the Gateway counts no route.
    await cluster.delete(route);
    const third = await untilTable(kv, "the delete published", (t) => t.table.routes.length === 0);
    expect(third.pointer.id).not.toBe(second.pointer.id);
    await until("attachedRoutes 0", () => {
      const s = cluster.get(gateway)?.status as { listeners?: { attachedRoutes: number }[] } | undefined;
      return s?.listeners?.[0]?.attachedRoutes === 0;
    });
  });

  it("leaves other controllers' parent entries in HTTPRoute status exactly as they were", async () => {
    await smallCluster();
    const route = httpRoute("shop", "shop.example.com", "storefront");
    route.spec!.parentRefs = [
      { name: "edge", namespace: "infra" },
      { name: "other-gw", namespace: "infra" },
    ];
    await cluster.create(route);
    const foreign = {
      parentRef: { name: "other-gw", namespace: "infra" },
      controllerName: "example.com/other-controller",
      conditions: [
        {
          type: "Accepted",
          status: "True",
          reason: "Accepted",
          message: "theirs",
          observedGeneration: 1,
          lastTransitionTime: "2026-01-01T00:00:00Z",
        },
      ],
    };
    await cluster.patchStatus(route, { parents: [foreign] });
    await start();

    const parents = await until("our entry beside theirs", () => {
      const p = (cluster.get(route)?.status?.parents ?? []) as { controllerName: string }[];
      return p.length === 2 ? p : undefined;
    });
    expect(parents[0]).toEqual(foreign);
    expect(parents[1]).toMatchObject({
      controllerName: "gatehouse.dev/controller",
      parentRef: { name: "edge" },
    });
  });

  it("routes only through classes it claims", async () => {
    await smallCluster();
    await cluster.create({
      ...gatewayClass,
      metadata: { name: "someone-else" },
      spec: { controllerName: "example.com/other" },
    });
    await cluster.create({
      ...gateway,
      metadata: { name: "their-edge", namespace: "infra" },
      spec: { ...gateway.spec, gatewayClassName: "someone-else" },
    });
    const theirs = httpRoute("theirs", "theirs.example.com", "storefront");
    theirs.spec!.parentRefs = [{ name: "their-edge", namespace: "infra" }];
    await cluster.create(theirs);
    await cluster.create(httpRoute("ours", "ours.example.com", "storefront"));
    await start();

    const t = await untilTable(kv, "our route", (x) => hostnamesOf(x).length > 0);
    expect(hostnamesOf(t)).toEqual(["ours.example.com"]);
    await until("our status", () => routeConditions(cluster.get(httpRoute("ours", "", "")))?.Programmed);
    expect(cluster.get(theirs)?.status).toBeUndefined();
    expect(
      cluster.get({ ...gateway, metadata: { name: "their-edge", namespace: "infra" } })?.status,
    ).toBeUndefined();
  });

  it("never publishes a table that fails validation: the last good version stays, and the route says so", async () => {
    await smallCluster();
    // The translator salvages and reports rather than emit an invalid table, so this stands in for a
    // defect in it: once a route is labelled `test/defect`, every cluster gets an endpoint no table may have.
    await start({
      translator: (objects, options) => {
        const t = translate(objects, options);
        const defective = objects.some((o) => o.metadata?.labels?.["test/defect"] === "true");
        if (!defective) return t;
        const clusters = Object.fromEntries(
          Object.entries(t.table.clusters ?? {}).map(([name, c]) => [
            name,
            { ...c, endpoints: [{ url: "ftp://x" }] },
          ]),
        );
        return { ...t, table: { ...t.table, clusters } };
      },
    });
    const route = httpRoute("shop", "shop.example.com", "storefront");
    await cluster.create(route);
    const good = await untilTable(kv, "the good table", (t) => t.table.routes.length === 1);

    await cluster.patch(route, {
      metadata: { labels: { "test/defect": "true" } },
      spec: { hostnames: ["new.example.com"] },
    });
    const programmed = await until("Programmed False", () => {
      const c = routeConditions(cluster.get(route));
      return c?.Programmed?.status === "False" ? c.Programmed : undefined;
    });
    expect(programmed.reason).toBe("Invalid");
    expect(programmed.message).toMatch(
      /failed validation and was not published \(1 problem\(s\), first: clusters\["shop\.storefront\.80"\]\.endpoints\[0\]\.url: /,
    );
    expect(programmed.message).toContain(`version ${good.pointer.id} stays active`);
    expect(programmed.observedGeneration).toBe(2);
    const active = await activeTable(kv);
    expect(active?.pointer.id).toBe(good.pointer.id);
    expect(hostnamesOf(active!)).toEqual(["shop.example.com"]);
  });

  it("writes the Ingress load balancer hostname and an event for every field it cannot honour", async () => {
    await cluster.create({
      apiVersion: "networking.k8s.io/v1",
      kind: "IngressClass",
      metadata: { name: "gatehouse" },
      spec: { controller: "gatehouse.dev/controller" },
    });
    await cluster.create(service("storefront"));
    await cluster.create(endpointSlice("storefront", 9001));
    const ingress: Manifest = {
      apiVersion: "networking.k8s.io/v1",
      kind: "Ingress",
      metadata: {
        name: "storefront",
        namespace: "shop",
        annotations: { "nginx.ingress.kubernetes.io/configuration-snippet": "more_set_headers 'X: y';" },
      },
      spec: {
        ingressClassName: "gatehouse",
        rules: [
          {
            host: "shop.example.com",
            http: {
              paths: [
                {
                  path: "/",
                  pathType: "Prefix",
                  backend: { service: { name: "storefront", port: { name: "http" } } },
                },
              ],
            },
          },
        ],
      },
    };
    await cluster.create(ingress);
    await start();

    await untilTable(kv, "the ingress published", (t) => hostnamesOf(t).includes("shop.example.com"));
    await until("loadBalancer", () => {
      const lb = cluster.get(ingress)?.status?.loadBalancer as
        | { ingress?: { hostname: string }[] }
        | undefined;
      return lb?.ingress?.[0]?.hostname === PUBLIC_HOSTNAME;
    });
    const events = await until("the event", () => {
      const found = server
        .list("Event", "events.k8s.io")
        .filter((e) => (e.regarding as { name?: string } | undefined)?.name === "storefront");
      return found.length > 0 ? found : undefined;
    });
    expect(events[0]).toMatchObject({
      type: "Warning",
      reason: "UnsupportedField",
      reportingController: "gatehouse.dev/controller",
      regarding: { kind: "Ingress", namespace: "shop", name: "storefront" },
    });
    expect(String(events[0]!.note)).toMatch(/configuration-snippet.*CVE-2025-1974|snippet/);
  });

  it("relists after a watch expires (410 Gone) and publishes what changed meanwhile", async () => {
    await smallCluster();
    await cluster.create(httpRoute("one", "one.example.com", "storefront"));
    await start();
    await untilTable(kv, "one", (t) => hostnamesOf(t).join() === "one.example.com");

    // A partition long enough for the history to be compacted away.
    server.pauseWatches();
    await cluster.create(httpRoute("two", "two.example.com", "storefront"));
    await cluster.delete(httpRoute("one", "", ""));
    server.compact();
    server.resumeWatches();

    await untilTable(kv, "two, without one", (t) => hostnamesOf(t).join() === "two.example.com");
    expect(server.expiredWatches).toBeGreaterThan(0);
  });

  it("retries with backoff when the API server fails status writes", async () => {
    await smallCluster();
    server.failNext(3, 500, "PATCH", /\/httproutes\/shop\/status$/);
    const r = await start();
    const route = httpRoute("shop", "shop.example.com", "storefront");
    await cluster.create(route);
    await until("status after the failures", () => routeConditions(cluster.get(route))?.Programmed);
    expect(r.logs.filter((l) => l.message === "reconcile failed; retrying").length).toBeGreaterThanOrEqual(1);
  });

  it("a full resync repairs a pointer moved behind its back", async () => {
    await smallCluster();
    await cluster.create(httpRoute("shop", "shop.example.com", "storefront"));
    await start({ resyncMs: 150 });
    const published = await untilTable(kv, "published", (t) => t.table.routes.length === 1);
    await kv.delete("tables/active");
    const again = await untilTable(kv, "republished by the resync", () => true);
    expect(again.table).toEqual(published.table);
  });
});
