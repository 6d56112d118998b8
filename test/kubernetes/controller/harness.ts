/**
 * What the live controller tests share: the test API server with the Gatehouse policy CRD installed,
 * a client for the test itself (the real client-node, as `kubectl apply` would be), the objects of a
 * small cluster, controllers with short debounce and lease times, and bounded waits.
 */
import { readFileSync } from "node:fs";
import { type AddressInfo, connect, createServer as createNetServer, type Socket } from "node:net";
import { CustomObjectsApi, KubeConfig, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { parseAllDocuments } from "yaml";
import { Controller, type ControllerOptions } from "../../../src/kubernetes/controller/controller.ts";
import { type LogEntry, memoryLogger } from "../../../src/kubernetes/controller/logger.ts";
import { type ActivePointer, versionKey } from "../../../src/store/kv-layout.ts";
import type { KvStore } from "../../../src/store/kv-store.ts";
import { readActivePointer } from "../../../src/store/publish.ts";
import { DEFAULT_RESOURCE_TYPES, KubeApiServer, resourceTypeFromCrd } from "../../support/kube-api-server.ts";

export const CONTROLLER_NAME = "gatehouse.dev/controller";
export const PUBLIC_HOSTNAME = "gatehouse.example.net";
/** The controller's credentials (its ServiceAccount) and the test's own (an administrator). */
export const CONTROLLER_TOKEN = "controller-token";
export const CONTROLLER_USER = "system:serviceaccount:gatehouse-system:gatehouse-controller";
const ADMIN_TOKEN = "admin-token";

const POLICY_CRD = new URL("../../../deploy/crds/gatehouse.dev_gatehousepolicies.yaml", import.meta.url);

/** The API server with the CRDs deploy/ ships installed, as `kubectl apply -f deploy/crds` leaves it. */
export async function startApiServer(): Promise<KubeApiServer> {
  const crds = parseAllDocuments(readFileSync(POLICY_CRD, "utf8")).map((d) => resourceTypeFromCrd(d.toJS()));
  return new KubeApiServer({
    users: { [CONTROLLER_TOKEN]: CONTROLLER_USER, [ADMIN_TOKEN]: "admin" },
    bookmarkIntervalMs: 200,
    resourceTypes: [...DEFAULT_RESOURCE_TYPES, ...crds],
  }).start();
}

/** The controller's kubeconfig (optionally through a proxy). */
export function kubeConfigFor(server: KubeApiServer, via?: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromString(server.kubeconfig({ token: CONTROLLER_TOKEN, ...(via ? { server: via } : {}) }));
  return kc;
}

function adminKubeConfig(server: KubeApiServer): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromString(server.kubeconfig({ token: ADMIN_TOKEN }));
  return kc;
}

export interface Partition {
  /** The proxy's URL: give it to a client in place of the server's. */
  url: string;
  /** Drop every connection and refuse new ones, as a network partition would. */
  cut(): void;
  close(): Promise<void>;
}

/** A TCP proxy to the API server that a test can cut: the client's network, not the client, fails. */
export async function partitionable(server: KubeApiServer): Promise<Partition> {
  const target = new URL(server.url);
  const sockets = new Set<Socket>();
  let isCut = false;
  const proxy = createNetServer((client) => {
    if (isCut) {
      client.destroy();
      return;
    }
    const upstream = connect(Number(target.port), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
      s.on("error", () => s.destroy());
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  return {
    url: `https://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
    cut() {
      isCut = true;
      for (const s of sockets) s.destroy();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        proxy.close(() => resolve());
      }),
  };
}

/** Create, replace, patch and delete objects by their manifests, through the API. */
export class Cluster {
  readonly #api: CustomObjectsApi;
  readonly #server: KubeApiServer;

  constructor(server: KubeApiServer) {
    this.#server = server;
    this.#api = adminKubeConfig(server).makeApiClient(CustomObjectsApi);
  }

  #path(object: Manifest): { group: string; version: string; plural: string } {
    const [group, version] = object.apiVersion.includes("/")
      ? object.apiVersion.split("/")
      : ["", object.apiVersion];
    return { group: group!, version: version!, plural: PLURALS[object.kind]! };
  }

  /** The REST path of an object (core kinds are not reachable through the custom-objects client). */
  #url(object: Manifest, name?: string): string {
    const { group, version, plural } = this.#path(object);
    const ns = object.metadata.namespace ? `/namespaces/${object.metadata.namespace}` : "";
    return `${this.#server.url}${group ? `/apis/${group}` : "/api"}/${version}${ns}/${plural}${name ? `/${name}` : ""}`;
  }

  async create(object: Manifest): Promise<Manifest> {
    const { group, version, plural } = this.#path(object);
    if (group === "") return this.#raw("POST", this.#url(object), object);
    const ns = object.metadata.namespace;
    return (await (ns
      ? this.#api.createNamespacedCustomObject({ group, version, plural, namespace: ns, body: object })
      : this.#api.createClusterCustomObject({ group, version, plural, body: object }))) as Manifest;
  }

  /** JSON merge patch of the object (spec and metadata). */
  async patch(object: Manifest, patch: unknown): Promise<Manifest> {
    const { group, version, plural } = this.#path(object);
    const name = object.metadata.name;
    const ns = object.metadata.namespace;
    const merge = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);
    return (await (ns
      ? this.#api.patchNamespacedCustomObject(
          { group, version, plural, namespace: ns, name, body: patch },
          merge,
        )
      : this.#api.patchClusterCustomObject(
          { group, version, plural, name, body: patch },
          merge,
        ))) as Manifest;
  }

  async patchStatus(object: Manifest, status: unknown): Promise<void> {
    const { group, version, plural } = this.#path(object);
    const merge = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);
    await this.#api.patchNamespacedCustomObjectStatus(
      {
        group,
        version,
        plural,
        namespace: object.metadata.namespace!,
        name: object.metadata.name,
        body: { status },
      },
      merge,
    );
  }

  async delete(object: Manifest): Promise<void> {
    const { group, version, plural } = this.#path(object);
    const name = object.metadata.name;
    const ns = object.metadata.namespace;
    if (group === "") {
      await this.#raw("DELETE", this.#url(object, name));
      return;
    }
    await (ns
      ? this.#api.deleteNamespacedCustomObject({ group, version, plural, namespace: ns, name })
      : this.#api.deleteClusterCustomObject({ group, version, plural, name }));
  }

  /** What the API server holds now. */
  get(object: Manifest): Manifest | undefined {
    return this.#server.get(object.kind, object.metadata.namespace, object.metadata.name) as
      | Manifest
      | undefined;
  }

  async #raw(method: string, url: string, body?: unknown): Promise<Manifest> {
    // Core kinds (Services) go over plain HTTPS with the kubeconfig's token and CA, as kubectl would.
    const { request } = await import("node:https");
    const kc = adminKubeConfig(this.#server);
    const cluster = kc.getCurrentCluster()!;
    const ca = Buffer.from(cluster.caData!, "base64");
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        {
          method,
          ca,
          headers: {
            authorization: `Bearer ${kc.getCurrentUser()?.token}`,
            "content-type": "application/json",
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            if ((res.statusCode ?? 500) >= 300)
              reject(new Error(`${method} ${url}: ${res.statusCode} ${text}`));
            else resolve(JSON.parse(text) as Manifest);
          });
        },
      );
      req.on("error", reject);
      req.end(body === undefined ? undefined : JSON.stringify(body));
    });
  }
}

const PLURALS: Record<string, string> = {
  GatewayClass: "gatewayclasses",
  Gateway: "gateways",
  HTTPRoute: "httproutes",
  ReferenceGrant: "referencegrants",
  Ingress: "ingresses",
  IngressClass: "ingressclasses",
  Service: "services",
  EndpointSlice: "endpointslices",
  GatehousePolicy: "gatehousepolicies",
};

export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [key: string]: unknown };
  spec?: Record<string, unknown>;
  status?: Record<string, unknown>;
  [key: string]: unknown;
}

// -----------------------------------------------------------------------------------------------------
// A small cluster: our GatewayClass, one Gateway, a Service with one ready pod, a route to it.

export const gatewayClass: Manifest = {
  apiVersion: "gateway.networking.k8s.io/v1",
  kind: "GatewayClass",
  metadata: { name: "gatehouse" },
  spec: { controllerName: CONTROLLER_NAME },
};

export const gateway: Manifest = {
  apiVersion: "gateway.networking.k8s.io/v1",
  kind: "Gateway",
  metadata: { name: "edge", namespace: "infra" },
  spec: {
    gatewayClassName: "gatehouse",
    listeners: [
      {
        name: "https",
        port: 443,
        protocol: "HTTPS",
        hostname: "*.example.com",
        allowedRoutes: { namespaces: { from: "All" } },
      },
    ],
  },
};

export function service(name: string, namespace = "shop"): Manifest {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace },
    spec: { ports: [{ name: "http", port: 80 }] },
  };
}

export function endpointSlice(service: string, port: number, namespace = "shop"): Manifest {
  return {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: { name: `${service}-abcde`, namespace, labels: { "kubernetes.io/service-name": service } },
    addressType: "IPv4",
    endpoints: [{ addresses: ["127.0.0.1"], conditions: { ready: true, serving: true, terminating: false } }],
    ports: [{ name: "http", port, protocol: "TCP" }],
  };
}

export function httpRoute(name: string, hostname: string, backend: string, namespace = "shop"): Manifest {
  return {
    apiVersion: "gateway.networking.k8s.io/v1",
    kind: "HTTPRoute",
    metadata: { name, namespace },
    spec: {
      parentRefs: [{ name: "edge", namespace: "infra" }],
      hostnames: [hostname],
      rules: [
        {
          matches: [{ path: { type: "PathPrefix", value: "/" } }],
          backendRefs: [{ name: backend, port: 80 }],
        },
      ],
    },
  };
}

// -----------------------------------------------------------------------------------------------------
// Controllers and waiting

export interface RunningController {
  controller: Controller;
  logs: LogEntry[];
  stop(): Promise<void>;
}

export async function startController(
  server: KubeApiServer,
  kv: KvStore,
  options: Partial<ControllerOptions> = {},
  via?: string,
): Promise<RunningController> {
  const logger = memoryLogger();
  const controller = new Controller({
    kubeConfig: kubeConfigFor(server, via),
    kv,
    logger,
    identity: "replica-a",
    controllerName: CONTROLLER_NAME,
    publicHostname: PUBLIC_HOSTNAME,
    translate: { endpointSource: "EndpointSlices" },
    lease: {
      namespace: "gatehouse-system",
      name: "gatehouse-controller",
      durationSeconds: 1,
      renewDeadlineMs: 700,
      retryPeriodMs: 100,
    },
    debounceMs: 30,
    watchTimeoutSeconds: 60,
    ...options,
  });
  await controller.start();
  return { controller, logs: logger.entries, stop: () => controller.stop() };
}

/** Polls `probe` until it gives a value; bounded (20 s by default: generous, for a loaded machine). */
export async function until<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  ms = 20_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${String(last)})` : ""}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export interface PublishedTable {
  pointer: ActivePointer;
  table: { routes: { id: string; hostnames?: string[] }[]; clusters: Record<string, unknown> };
  publishedBy: string | undefined;
}

/** The table the pointer names now, or undefined before the first publish. */
export async function activeTable(kv: KvStore): Promise<PublishedTable | undefined> {
  const pointer = await readActivePointer(kv);
  if (!pointer) return undefined;
  const record = JSON.parse((await kv.get(versionKey(pointer.id)))!) as {
    table: PublishedTable["table"];
    publishedBy?: string;
  };
  return { pointer, table: record.table, publishedBy: record.publishedBy };
}

/** Waits until the active table satisfies `probe`. */
export function untilTable(
  kv: KvStore,
  what: string,
  probe: (t: PublishedTable) => boolean,
  ms?: number,
): Promise<PublishedTable> {
  return until(
    what,
    async () => {
      const active = await activeTable(kv);
      return active && probe(active) ? active : undefined;
    },
    ms,
  );
}

export function hostnamesOf(t: PublishedTable): string[] {
  return t.table.routes.flatMap((r) => r.hostnames ?? []).sort();
}

type Condition = {
  type: string;
  status: string;
  reason: string;
  message: string;
  observedGeneration?: number;
};

/** Our parent entry's conditions on an HTTPRoute, by type. */
export function routeConditions(route: Manifest | undefined): Record<string, Condition> | undefined {
  const parents = (route?.status?.parents ?? []) as { controllerName: string; conditions: Condition[] }[];
  const ours = parents.find((p) => p.controllerName === CONTROLLER_NAME);
  return ours && Object.fromEntries(ours.conditions.map((c) => [c.type, c]));
}
