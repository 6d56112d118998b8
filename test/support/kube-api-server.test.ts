/**
 * The test API server behaves as the API conventions say, as seen by the two real clients that use it:
 * `kubectl` (a kubeconfig pointing at it) and `@kubernetes/client-node` (its informer and typed APIs).
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import {
  CoordinationV1Api,
  CustomObjectsApi,
  KubeConfig,
  type KubernetesObject,
  makeInformer,
  PatchStrategy,
  setHeaderOptions,
  V1MicroTime,
} from "@kubernetes/client-node";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { KubeApiServer } from "./kube-api-server.ts";

const run = promisify(execFile);

let server: KubeApiServer;
let kc: KubeConfig;
beforeEach(async () => {
  server = await new KubeApiServer({ users: { "test-token": "admin" }, bookmarkIntervalMs: 100 }).start();
  kc = new KubeConfig();
  kc.loadFromString(server.kubeconfig());
});
afterEach(() => server.stop());

const GW = { group: "gateway.networking.k8s.io", version: "v1" };

function route(name: string, hostname: string): Record<string, unknown> {
  return {
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "HTTPRoute",
    metadata: { name, namespace: "default" },
    spec: { hostnames: [hostname], parentRefs: [{ name: "edge" }] },
  };
}

async function until<T>(what: string, probe: () => T | undefined, ms = 5000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("kubectl against the test API server", () => {
  it("lists the objects through discovery, with the kubeconfig's token", async () => {
    const api = kc.makeApiClient(CustomObjectsApi);
    await api.createNamespacedCustomObject({
      ...GW,
      namespace: "default",
      plural: "httproutes",
      body: route("shop", "shop.example.com"),
    });
    await api.createNamespacedCustomObject({
      ...GW,
      namespace: "default",
      plural: "httproutes",
      body: route("blog", "blog.example.com"),
    });
    const config = server.writeKubeconfig();
    try {
      const kubectl = (...args: string[]) =>
        run("kubectl", [`--kubeconfig=${config.path}`, `--cache-dir=${config.dir}/cache`, ...args], {
          timeout: 20_000,
        });
      const table = await kubectl("get", "httproutes");
      expect(table.stdout).toMatch(/^NAME\s+AGE\n/);
      expect(table.stdout).toMatch(/\nblog\s+\d+s\n/);
      expect(table.stdout).toMatch(/\nshop\s+\d+s\n/);

      const json = JSON.parse((await kubectl("get", "httproute", "shop", "-o", "json")).stdout) as {
        spec: { hostnames: string[] };
        metadata: { generation: number; uid: string };
      };
      expect(json.spec.hostnames).toEqual(["shop.example.com"]);
      expect(json.metadata.generation).toBe(1);
      expect(json.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    } finally {
      config.remove();
    }
  });
});

describe("objects", () => {
  it("bumps generation for spec changes only; status goes through the subresource", async () => {
    const api = kc.makeApiClient(CustomObjectsApi);
    const ns = { ...GW, namespace: "default", plural: "httproutes", name: "shop" };
    const created = (await api.createNamespacedCustomObject({
      ...ns,
      body: route("shop", "a.example.com"),
    })) as KubernetesObject;
    expect(created.metadata?.generation).toBe(1);

    const merge = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);
    const withStatus = (await api.patchNamespacedCustomObjectStatus(
      { ...ns, body: { status: { parents: [] } } },
      merge,
    )) as KubernetesObject & { status: unknown };
    expect(withStatus.status).toEqual({ parents: [] });
    expect(withStatus.metadata?.generation).toBe(1);
    expect(Number(withStatus.metadata?.resourceVersion)).toBeGreaterThan(
      Number(created.metadata?.resourceVersion),
    );

    // Status sent to the main resource is ignored; spec sent to the status subresource is ignored.
    const relabelled = (await api.patchNamespacedCustomObject(
      { ...ns, body: { metadata: { labels: { team: "a" } }, status: { parents: [{ x: 1 }] } } },
      merge,
    )) as KubernetesObject & { status: unknown };
    expect(relabelled.metadata?.generation).toBe(1);
    expect(relabelled.status).toEqual({ parents: [] });
    const respecced = (await api.patchNamespacedCustomObject(
      { ...ns, body: [{ op: "replace", path: "/spec/hostnames/0", value: "b.example.com" }] },
      setHeaderOptions("Content-Type", PatchStrategy.JsonPatch),
    )) as KubernetesObject;
    expect(respecced.metadata?.generation).toBe(2);

    // Optimistic concurrency: a stale resourceVersion is a 409 Conflict.
    await expect(
      api.patchNamespacedCustomObjectStatus(
        { ...ns, body: { metadata: { resourceVersion: created.metadata?.resourceVersion }, status: {} } },
        merge,
      ),
    ).rejects.toMatchObject({ code: 409 });
    await expect(api.getNamespacedCustomObject({ ...ns, name: "nope" })).rejects.toMatchObject({ code: 404 });
  });

  it("keeps Leases, wants their times in MicroTime form, and checks resourceVersion on replace", async () => {
    const leases = kc.makeApiClient(CoordinationV1Api);
    // A plain Date serialises with milliseconds, which the API server cannot decode as a MicroTime.
    await expect(
      leases.createNamespacedLease({
        namespace: "default",
        body: { metadata: { name: "leader" }, spec: { holderIdentity: "a", renewTime: new Date() } },
      }),
    ).rejects.toMatchObject({ code: 400 });
    const now = new V1MicroTime();
    const lease = await leases.createNamespacedLease({
      namespace: "default",
      body: {
        metadata: { name: "leader" },
        spec: { holderIdentity: "a", leaseDurationSeconds: 1, renewTime: now, acquireTime: now },
      },
    });
    expect(lease.spec?.holderIdentity).toBe("a");
    expect(String(lease.spec?.renewTime)).toMatch(/\.\d{6}Z$/);
    const replaced = await leases.replaceNamespacedLease({
      name: "leader",
      namespace: "default",
      body: { ...lease, spec: { ...lease.spec, holderIdentity: "b" } },
    });
    expect(replaced.spec?.holderIdentity).toBe("b");
    expect(replaced.metadata?.generation).toBeUndefined();
    await expect(
      leases.replaceNamespacedLease({ name: "leader", namespace: "default", body: lease }),
    ).rejects.toMatchObject({ code: 409 });
  });
});

describe("list and watch through the client's informer", () => {
  it("streams changes, sends bookmarks, and a watch from a compacted revision relists after 410", async () => {
    const api = kc.makeApiClient(CustomObjectsApi);
    const ns = { ...GW, namespace: "default", plural: "httproutes" };
    await api.createNamespacedCustomObject({ ...ns, body: route("one", "one.example.com") });
    const informer = makeInformer(kc, "/apis/gateway.networking.k8s.io/v1/httproutes", () =>
      api.listClusterCustomObject({ ...GW, plural: "httproutes" }),
    );
    await informer.start();
    try {
      await until("the list", () => informer.list().length === 1);
      await api.createNamespacedCustomObject({ ...ns, body: route("two", "two.example.com") });
      await until("ADDED", () => informer.list().length === 2);
      await api.deleteNamespacedCustomObject({ ...ns, name: "one" });
      await until("DELETED", () => informer.list().length === 1);

      // A partition long enough for the history to be compacted: the client comes back with its old
      // resourceVersion, gets 410 Expired, lists again and so sees what changed meanwhile.
      server.pauseWatches();
      await api.createNamespacedCustomObject({ ...ns, body: route("three", "three.example.com") });
      await api.deleteNamespacedCustomObject({ ...ns, name: "two" });
      server.compact();
      const listsBefore = server.requests.filter(
        (r) => r.path.endsWith("/httproutes") && !r.query.watch,
      ).length;
      server.resumeWatches();
      await until(
        "the relist",
        () =>
          informer
            .list()
            .map((o) => o.metadata?.name)
            .join() === "three",
      );
      const lists = server.requests.filter((r) => r.path.endsWith("/httproutes") && !r.query.watch).length;
      expect(lists).toBe(listsBefore + 1);
    } finally {
      await informer.stop();
    }
  });
});
