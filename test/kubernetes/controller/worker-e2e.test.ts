/**
 * End to end: objects in the (test) API server → the controller → the `ROUTES` namespace → the Worker in
 * workerd → origin pods on 127.0.0.1. The Worker is the bundle `wrangler deploy` would upload, run by
 * Miniflare; the controller publishes into that Miniflare's own ROUTES namespace, the very store the
 * Worker reads, so what is served is exactly what was published.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { convertV4MiniflareOptions, Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildWorkerBundle } from "../../../scripts/dry-run-build.ts";
import { type OriginPod, startOriginPod } from "../../../scripts/origin-pod.ts";
import { kvStoreFromNamespace } from "../../../src/store/kv-store.ts";
import type { KubeApiServer } from "../../support/kube-api-server.ts";
import {
  Cluster,
  endpointSlice,
  gateway,
  gatewayClass,
  httpRoute,
  type RunningController,
  routeConditions,
  service,
  startApiServer,
  startController,
  until,
} from "./harness.ts";

let outdir = "";
let mf: Miniflare;
let server: KubeApiServer;
let cluster: Cluster;
let controller: RunningController;
const pods: OriginPod[] = [];

beforeAll(async () => {
  outdir = mkdtempSync(join(tmpdir(), "gatehouse-controller-e2e-"));
  const bundle = buildWorkerBundle(outdir);
  mf = new Miniflare(
    convertV4MiniflareOptions({
      modules: true,
      scriptPath: bundle.file,
      modulesRoot: dirname(bundle.file),
      compatibilityDate: "2026-11-01",
      compatibilityFlags: ["nodejs_compat"],
      kvNamespaces: ["ROUTES"],
      bindings: {
        ROUTES_REFRESH_SECONDS: "1",
        ADMIN_HOSTNAME: "admin.gatehouse.test",
        SESSION_SECRET: "e2e-session-secret-0123456789abcdef",
      },
      // Quiet: the access log is the Worker's business, not the test output's.
      handleStructuredLogs: () => {},
      cf: { colo: "LHR", country: "GB", httpProtocol: "HTTP/1.1", tlsVersion: "TLSv1.3" },
    }),
  );
  const kv = kvStoreFromNamespace((await mf.getKVNamespace("ROUTES")) as unknown as KVNamespace);
  pods.push(await startOriginPod("storefront-1"), await startOriginPod("storefront-2"));
  server = await startApiServer();
  cluster = new Cluster(server);
  for (const object of [
    gatewayClass,
    gateway,
    service("storefront"),
    endpointSlice("storefront", pods[0]!.port),
  ]) {
    await cluster.create(object);
  }
  controller = await startController(server, kv);
}, 120_000);

afterAll(async () => {
  await controller?.stop();
  await server?.stop();
  for (const pod of pods) await pod.stop();
  await mf?.dispose();
  if (outdir) rmSync(outdir, { recursive: true, force: true });
});

/** Which pod answered `url` through the Worker (or the status when none did). */
async function served(url: string): Promise<string> {
  const res = await mf.dispatchFetch(url);
  await res.arrayBuffer();
  return res.headers.get("x-pod") ?? String(res.status);
}

describe("the Worker serves what the controller published", () => {
  it("follows the route and its endpoints as they change", async () => {
    const route = httpRoute("shop", "shop.example.com", "storefront");
    await cluster.create(route);
    await until("programmed", () => routeConditions(cluster.get(route))?.Programmed?.status === "True");
    await until(
      "served by storefront-1",
      async () => (await served("http://shop.example.com/cart")) === "storefront-1",
      15_000,
    );
    expect(pods[0]!.requests.at(-1)).toMatchObject({ method: "GET", url: "/cart" });

    // The pod moves (a rollout): the EndpointSlice changes, the table follows, the Worker follows it.
    await cluster.patch(endpointSlice("storefront", 0), {
      ports: [{ name: "http", port: pods[1]!.port, protocol: "TCP" }],
    });
    await until(
      "served by storefront-2",
      async () => (await served("http://shop.example.com/cart")) === "storefront-2",
      15_000,
    );

    // The route renamed: the old hostname is no longer served, the new one is.
    await cluster.patch(route, { spec: { hostnames: ["store.example.com"] } });
    await until(
      "served under the new name",
      async () => (await served("http://store.example.com/")) === "storefront-2",
      15_000,
    );
    expect(await served("http://shop.example.com/")).toBe("404");

    await cluster.delete(route);
    await until(
      "no longer served",
      async () => (await served("http://store.example.com/")) === "404",
      15_000,
    );
  }, 60_000);
});
