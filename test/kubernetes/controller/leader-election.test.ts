/**
 * Two replicas, one Lease: only the leader publishes; a leader cut off from the API server (its network
 * fails, so for the cluster it is dead) stops acting before the other takes over, and the other takes
 * over within the lease time and publishes what changed meanwhile.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { listVersions } from "../../../src/store/publish.ts";
import { MemoryKv } from "../../store/memory-kv.ts";
import type { KubeApiServer } from "../../support/kube-api-server.ts";
import {
  Cluster,
  endpointSlice,
  gateway,
  gatewayClass,
  hostnamesOf,
  httpRoute,
  type Partition,
  partitionable,
  type RunningController,
  service,
  startApiServer,
  startController,
  until,
  untilTable,
} from "./harness.ts";

const LEASE = {
  namespace: "gatehouse-system",
  name: "gatehouse-controller",
  durationSeconds: 1,
  renewDeadlineMs: 600,
  retryPeriodMs: 100,
};

let server: KubeApiServer;
let cluster: Cluster;
let partition: Partition;
const running: RunningController[] = [];

beforeEach(async () => {
  server = await startApiServer();
  cluster = new Cluster(server);
  partition = await partitionable(server);
  for (const object of [gatewayClass, gateway, service("storefront"), endpointSlice("storefront", 9001)]) {
    await cluster.create(object);
  }
});
afterEach(async () => {
  for (const r of running.splice(0)) await r.stop();
  await partition.close();
  await server.stop();
});

function holder(): string | undefined {
  return (
    server.get("Lease", LEASE.namespace, LEASE.name) as { spec?: { holderIdentity?: string } } | undefined
  )?.spec?.holderIdentity;
}

describe("leader election", () => {
  it("a leader that dies is replaced within the lease time; the two never lead at once", async () => {
    const kv = new MemoryKv();
    const route = httpRoute("shop", "shop.example.com", "storefront");
    await cluster.create(route);
    const a = await startController(server, kv, { identity: "replica-a", lease: LEASE }, partition.url);
    running.push(a);
    await until("replica-a leading", () => a.controller.isLeader);
    const b = await startController(server, kv, { identity: "replica-b", lease: LEASE });
    running.push(b);
    await untilTable(kv, "replica-a's table", (t) => t.publishedBy === "gatehouse controller (replica-a)");
    await new Promise((r) => setTimeout(r, 300));
    expect(b.controller.isLeader).toBe(false);

    // Both leading at any sampled moment would be the bug.
    let overlap = false;
    const sampler = setInterval(() => {
      if (a.controller.isLeader && b.controller.isLeader) overlap = true;
    }, 5);
    try {
      partition.cut();
      const cutAt = Date.now();
      await cluster.patch(route, { spec: { hostnames: ["store.example.com"] } });
      await until("replica-b leading", () => b.controller.isLeader, 5000);
      // The lease (1 s) from replica-b's last sight of a renewal, plus a retry period to notice; the
      // slack is for a loaded machine, the order is what matters.
      expect(Date.now() - cutAt).toBeLessThan(2500);
      expect(holder()).toBe("replica-b");
      expect(a.controller.isLeader).toBe(false);

      const t = await untilTable(kv, "replica-b's table", (x) =>
        hostnamesOf(x).includes("store.example.com"),
      );
      expect(t.publishedBy).toBe("gatehouse controller (replica-b)");
    } finally {
      clearInterval(sampler);
    }
    expect(overlap).toBe(false);
    const publishers = (await listVersions(kv)).versions.map((v) => v.publishedBy).reverse();
    expect(publishers.lastIndexOf("gatehouse controller (replica-a)")).toBeLessThan(
      publishers.indexOf("gatehouse controller (replica-b)"),
    );
  });

  it("a replica that stops releases the lease, and the other leads at once", async () => {
    const kv = new MemoryKv();
    const a = await startController(server, kv, {
      identity: "replica-a",
      lease: { ...LEASE, durationSeconds: 10, renewDeadlineMs: 6000 },
    });
    await until("replica-a leading", () => a.controller.isLeader);
    const b = await startController(server, kv, {
      identity: "replica-b",
      lease: { ...LEASE, durationSeconds: 10, renewDeadlineMs: 6000 },
    });
    running.push(b);
    await a.stop();
    expect(holder()).toBeUndefined();
    // Well inside the 10 s lease: the release, not expiry, handed it over.
    await until("replica-b leading", () => b.controller.isLeader, 3000);
  });
});
