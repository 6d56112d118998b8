/**
 * Backends → clusters. A Service port becomes one cluster, named `namespace.service.port` (names and
 * namespaces are DNS labels, so the name is unambiguous), made once however many rules send to it.
 *
 * Endpoints come from one of two places, chosen explicitly (a GatehousePolicy's `endpointSource` on the
 * Service, else the translation's option, else `ServiceDNS`):
 * - `ServiceDNS`: one endpoint, the Service's cluster DNS name (`http://orders.shop.svc.cluster.local:80`),
 *   reached through a tunnel whose connector resolves it; kube-proxy spreads the load.
 * - `EndpointSlices`: one endpoint per pod address, for a transport that reaches pods one by one (so
 *   affinity and retries pick a pod, not a connection). Ready endpoints serve; when none is ready, those
 *   still serving while terminating do (as kube-proxy does); others are left out. No endpoint at all
 *   becomes the Service's DNS name with weight 0: the cluster answers 503, and validation warns.
 *
 * A reference is resolved as Gateway API says: only Services (`InvalidKind`), in another namespace only
 * where a ReferenceGrant there allows it (`RefNotPermitted`), to a Service and port that exist
 * (`BackendNotFound`), spoken over HTTP (`UnsupportedProtocol`).
 */

import type { z } from "zod";
import type { ClusterSchema, Transport } from "../config/schema.ts";
import { type Inventory, keyOf } from "./inventory.ts";
import {
  type EndpointSlice,
  type EndpointSource,
  type ObjectRef,
  refOf,
  type Service,
  type ServicePort,
} from "./objects.ts";
import type { PolicyIndex } from "./policy.ts";
import { type ImportReport, isRecord, list } from "./report.ts";
import type { FieldSource } from "./sources.ts";

type ClusterInput = z.input<typeof ClusterSchema>;

export type UnresolvedReason = "InvalidKind" | "RefNotPermitted" | "BackendNotFound" | "UnsupportedProtocol";

export type Resolution =
  | { readonly ok: true; readonly cluster: string }
  | { readonly ok: false; readonly reason: UnresolvedReason; readonly message: string };

/** Who refers: the group and kind a ReferenceGrant's `from` must name, and the referring namespace. */
export interface Referrer {
  readonly group: string;
  readonly kind: string;
  readonly namespace: string;
}

/** A backend as Ingress and HTTPRoute both name one: a port by number (HTTPRoute) or name (Ingress). */
export interface BackendTarget {
  readonly group?: string | undefined;
  readonly kind?: string | undefined;
  readonly namespace?: string | undefined;
  readonly name?: string | undefined;
  readonly port?: number | undefined;
  readonly portName?: string | undefined;
}

/** appProtocol values a cluster can speak (the rest are `UnsupportedProtocol`). */
const HTTP_PROTOCOLS = new Set(["http", "https", "kubernetes.io/ws", "kubernetes.io/wss"]);

export interface BackendOptions {
  readonly endpointSource: EndpointSource;
  readonly transport: Transport | undefined;
  readonly clusterDomain: string;
}

export class Backends {
  /** Built clusters, by name. */
  readonly clusters = new Map<string, ClusterInput>();
  /** Where each cluster's fields came from (its Service, or the policy that set a field), for problems. */
  readonly origins = new Map<string, FieldSource[]>();
  private readonly reported = new Set<string>();

  constructor(
    private readonly inventory: Inventory,
    private readonly policies: PolicyIndex,
    private readonly options: BackendOptions,
    private readonly report: ImportReport,
  ) {}

  resolve(referrer: Referrer, target: BackendTarget): Resolution {
    const group = target.group ?? "";
    const kind = target.kind ?? "Service";
    if (group !== "" || kind !== "Service") {
      return {
        ok: false,
        reason: "InvalidKind",
        message: `${group ? `${group}/` : ""}${kind} is not a backend Gatehouse can send to (only Services)`,
      };
    }
    const name = target.name ?? "";
    const namespace = target.namespace ?? referrer.namespace;
    if (namespace !== referrer.namespace && !this.granted(referrer, namespace, name)) {
      return {
        ok: false,
        reason: "RefNotPermitted",
        message: `no ReferenceGrant in namespace ${namespace} allows ${referrer.kind}s from ${referrer.namespace} to refer to Service ${name}`,
      };
    }
    const service = this.inventory.services.get(keyOf(namespace, name));
    if (!service) {
      return {
        ok: false,
        reason: "BackendNotFound",
        message: `no Service ${namespace}/${name} in the input`,
      };
    }
    const port = findPort(service, target);
    if (!port) {
      const wanted =
        target.port !== undefined
          ? `port ${target.port}`
          : target.portName
            ? `port "${target.portName}"`
            : "a port";
      const message =
        target.port === undefined && !target.portName
          ? `Service ${namespace}/${name}: the reference names no port`
          : `Service ${namespace}/${name} has no ${wanted}`;
      return { ok: false, reason: "BackendNotFound", message };
    }
    const protocol = port.appProtocol?.toLowerCase();
    if ((protocol !== undefined && !HTTP_PROTOCOLS.has(protocol)) || (port.protocol ?? "TCP") !== "TCP") {
      return {
        ok: false,
        reason: "UnsupportedProtocol",
        message: `Service ${namespace}/${name} port ${port.port} speaks ${port.appProtocol ?? port.protocol}, not HTTP`,
      };
    }
    const cluster = `${namespace}.${name}.${port.port}`;
    if (!this.clusters.has(cluster)) {
      const origins: FieldSource[] = [{ prefix: "", object: refOf(service), field: `(cluster ${cluster})` }];
      this.clusters.set(cluster, this.build(service, port, origins));
      this.origins.set(cluster, origins);
    }
    return { ok: true, cluster };
  }

  /** A ReferenceGrant in the target's namespace lets the referrer's kind and namespace reach it. */
  private granted(referrer: Referrer, namespace: string, name: string): boolean {
    for (const grant of this.inventory.referenceGrants.get(namespace) ?? []) {
      const spec = grant.spec;
      if (!isRecord(spec)) continue;
      const from = list<Record<string, unknown>>(spec.from).some(
        (f) =>
          (f.group ?? "") === referrer.group &&
          f.kind === referrer.kind &&
          f.namespace === referrer.namespace,
      );
      const to = list<Record<string, unknown>>(spec.to).some(
        (t) =>
          (t.group ?? "") === "" &&
          t.kind === "Service" &&
          (t.name === undefined || t.name === "" || t.name === name),
      );
      if (from && to) return true;
    }
    return false;
  }

  private build(service: Service, port: ServicePort, origins: FieldSource[]): ClusterInput {
    const ref = refOf(service);
    const section = port.name || undefined;
    const lookup = (field: Parameters<PolicyIndex["lookup"]>[3]) => {
      const attached = this.policies.lookup("Service", ref.namespace, ref.name, field, section);
      if (attached) origins.push({ prefix: field, object: attached.from, field: `spec.${field}` });
      return attached?.value;
    };

    const source = (lookup("endpointSource") as EndpointSource | undefined) ?? this.options.endpointSource;
    const scheme = isTls(port) ? "https" : "http";
    const endpoints =
      service.spec?.type === "ExternalName"
        ? [{ url: `${scheme}://${service.spec.externalName}:${port.port}`, name: service.spec.externalName }]
        : source === "EndpointSlices"
          ? this.podEndpoints(ref, service, port, scheme)
          : [{ url: this.dnsUrl(ref, port, scheme), name: `${ref.name}.${ref.namespace}:${port.port}` }];

    const transport = (lookup("transport") as Transport | undefined) ?? this.options.transport;
    if (transport === undefined) this.warnOnce(ref, "no transport");
    const cluster: ClusterInput = { endpoints };
    if (transport !== undefined) cluster.transport = transport;
    for (const field of ["loadBalancer", "healthCheck", "hostname"] as const) {
      const value = lookup(field);
      if (value !== undefined) (cluster as Record<string, unknown>)[field] = value;
    }
    return cluster;
  }

  private dnsUrl(ref: ObjectRef, port: ServicePort, scheme: string): string {
    return `${scheme}://${ref.name}.${ref.namespace}.svc.${this.options.clusterDomain}:${port.port}`;
  }

  private podEndpoints(
    ref: ObjectRef,
    service: Service,
    port: ServicePort,
    scheme: string,
  ): ClusterInput["endpoints"] {
    const slices = this.inventory.endpointSlices.get(keyOf(ref.namespace, ref.name)) ?? [];
    const ready: { url: string; name: string }[] = [];
    const terminating: { url: string; name: string }[] = [];
    const seen = new Set<string>();
    for (const slice of slices) {
      const slicePort = matchSlicePort(slice, port);
      if (slicePort === undefined) continue;
      for (const endpoint of list<NonNullable<EndpointSlice["endpoints"]>[number]>(slice.endpoints)) {
        const conditions = endpoint.conditions ?? {};
        // EndpointSlice: a nil `ready` means ready; `serving` defaults to `ready`.
        const isReady = conditions.ready !== false && conditions.terminating !== true;
        const isServing = (conditions.serving ?? conditions.ready) !== false;
        if (!isReady && !isServing) continue;
        for (const address of list<string>(endpoint.addresses).slice(0, 1)) {
          const host = slice.addressType === "IPv6" ? `[${address}]` : address;
          const url = `${scheme}://${host}:${slicePort}`;
          if (seen.has(url)) continue;
          seen.add(url);
          const name = endpoint.targetRef?.name ?? address;
          (isReady ? ready : terminating).push({ url, name });
        }
      }
    }
    const chosen = ready.length > 0 ? ready : terminating;
    if (chosen.length > 0) return chosen.sort((a, b) => a.url.localeCompare(b.url));
    this.report.warn(
      refOf(service),
      [],
      slices.length === 0
        ? "no EndpointSlice in the input for this Service: its cluster has no pod and answers 503"
        : "no ready or serving endpoint: its cluster answers 503 until a pod is ready",
    );
    return [{ url: this.dnsUrl(ref, port, scheme), weight: 0, name: "no-ready-endpoints" }];
  }

  private warnOnce(ref: ObjectRef, what: "no transport"): void {
    const key = `${ref.namespace}/${ref.name}/${what}`;
    if (this.reported.has(key)) return;
    this.reported.add(key);
    this.report.warn(
      ref,
      [],
      "no transport: set one in a GatehousePolicy targeting this Service (transport: { type: vpc, binding: … } to reach it through a tunnel) or for every cluster (import --transport); the cluster uses direct, which refuses plain HTTP beyond loopback",
    );
  }
}

function findPort(service: Service, target: BackendTarget): ServicePort | undefined {
  const ports = list<ServicePort>(service.spec?.ports);
  if (target.port !== undefined) return ports.find((p) => p.port === target.port);
  if (target.portName) return ports.find((p) => p.name === target.portName);
  return undefined;
}

/** The EndpointSlice port that carries a Service port: same name (both unnamed for a one-port Service). */
function matchSlicePort(slice: EndpointSlice, port: ServicePort): number | undefined {
  const ports = list<NonNullable<EndpointSlice["ports"]>[number]>(slice.ports);
  const found = ports.find((p) => (p.name ?? "") === (port.name ?? ""));
  return (
    found?.port ?? (typeof port.targetPort === "number" && ports.length === 0 ? port.targetPort : undefined)
  );
}

function isTls(port: ServicePort): boolean {
  const protocol = port.appProtocol?.toLowerCase();
  return (
    protocol === "https" ||
    protocol === "kubernetes.io/wss" ||
    (protocol === undefined && port.name === "https")
  );
}
