/**
 * GatehousePolicy attachment (gatehouse.dev/v1alpha1): what Gatehouse adds to the Kubernetes objects,
 * in the route table's own field names, attached by `targetRefs` as Envoy Gateway's SecurityPolicy and
 * BackendTrafficPolicy are.
 *
 * - On a Gateway, HTTPRoute or Ingress: `tls`, `auth`, `trustRequestId` for the routes it produces. A
 *   `sectionName` narrows it to one listener (Gateway) or one named rule (HTTPRoute); `auth` applies to
 *   each rule.
 * - On a Service: `transport`, `loadBalancer`, `healthCheck`, `hostname`, `endpointSource` for the
 *   clusters made from it; a `sectionName` narrows it to one port (by name).
 * - `providers` (JWT issuers) from any policy go into the table's `providers`.
 *
 * The most specific attachment wins (a section over the whole object, an HTTPRoute over its Gateway);
 * between two policies on the same target, the older one, then the one first by namespace/name
 * (Gateway API's conflict rule), and the loser is reported. Values are not checked here: they are
 * route-table fields, checked by the table's own validation once in place.
 */

import { byAge, keyOf } from "./inventory.ts";
import type { ObjectRef } from "./objects.ts";
import { GATEWAY_API_GROUP, type GatehousePolicy, NETWORKING_GROUP, refOf } from "./objects.ts";
import { type ImportReport, isRecord, list, reportUnknownFields } from "./report.ts";

export const ROUTE_POLICY_FIELDS = ["tls", "auth", "trustRequestId"] as const;
export const CLUSTER_POLICY_FIELDS = [
  "transport",
  "loadBalancer",
  "healthCheck",
  "hostname",
  "endpointSource",
] as const;
export type RoutePolicyField = (typeof ROUTE_POLICY_FIELDS)[number];
export type ClusterPolicyField = (typeof CLUSTER_POLICY_FIELDS)[number];
type PolicyField = RoutePolicyField | ClusterPolicyField;

/** Which kinds a policy may target, by group. */
const TARGETS: Record<string, { group: string; fields: readonly PolicyField[] }> = {
  Gateway: { group: GATEWAY_API_GROUP, fields: ROUTE_POLICY_FIELDS },
  HTTPRoute: { group: GATEWAY_API_GROUP, fields: ROUTE_POLICY_FIELDS },
  Ingress: { group: NETWORKING_GROUP, fields: ROUTE_POLICY_FIELDS },
  Service: { group: "", fields: CLUSTER_POLICY_FIELDS },
};

const SPEC_FIELDS = ["targetRefs", "providers", ...ROUTE_POLICY_FIELDS, ...CLUSTER_POLICY_FIELDS];

/** A value and the policy it came from, so the table's problems can name the policy. */
export interface Attached<T = unknown> {
  readonly value: T;
  readonly from: ObjectRef;
}

interface Attachment {
  readonly policy: GatehousePolicy;
  readonly targetIndex: number;
  readonly sectionName: string | undefined;
  used: boolean;
}

export class PolicyIndex {
  /** `Kind/namespace/name` → attachments, oldest policy first. */
  private readonly byTarget = new Map<string, Attachment[]>();
  readonly providers: Record<string, unknown> = {};
  private readonly providerSource = new Map<string, ObjectRef>();

  constructor(
    policies: readonly GatehousePolicy[],
    private readonly report: ImportReport,
  ) {
    for (const policy of [...policies].sort(byAge)) this.add(policy);
  }

  private add(policy: GatehousePolicy): void {
    const ref = refOf(policy);
    const spec = policy.spec;
    if (!isRecord(spec)) {
      this.report.error(ref, ["spec"], "missing: the policy is ignored");
      return;
    }
    reportUnknownFields(this.report, ref, ["spec"], spec, SPEC_FIELDS);
    if (
      spec.endpointSource !== undefined &&
      spec.endpointSource !== "EndpointSlices" &&
      spec.endpointSource !== "ServiceDNS"
    ) {
      this.report.error(ref, ["spec", "endpointSource"], 'must be "EndpointSlices" or "ServiceDNS"');
    }
    if (spec.providers !== undefined) {
      if (!isRecord(spec.providers))
        this.report.error(ref, ["spec", "providers"], "must be a mapping of name to provider");
      else
        for (const [name, provider] of Object.entries(spec.providers)) {
          const first = this.providerSource.get(name);
          if (first && JSON.stringify(this.providers[name]) !== JSON.stringify(provider)) {
            this.report.error(
              ref,
              ["spec", "providers", name],
              `provider "${name}" is already defined differently by GatehousePolicy ${first.namespace}/${first.name}: that one is used`,
            );
            continue;
          }
          this.providers[name] = provider;
          this.providerSource.set(name, ref);
        }
    }
    const targets = list<Record<string, unknown>>(spec.targetRefs);
    if (targets.length === 0) this.report.error(ref, ["spec", "targetRefs"], "must name at least one target");
    targets.forEach((target, i) => {
      const kind = typeof target.kind === "string" ? target.kind : "";
      const allowed = TARGETS[kind];
      const group = typeof target.group === "string" ? target.group : "";
      if (!allowed || allowed.group !== group) {
        this.report.error(
          ref,
          ["spec", "targetRefs", i],
          `cannot target ${group ? `${group}/` : ""}${kind || "(no kind)"}: a GatehousePolicy targets a Gateway or HTTPRoute (${GATEWAY_API_GROUP}), an Ingress (${NETWORKING_GROUP}) or a Service (core)`,
        );
        return;
      }
      if (typeof target.name !== "string" || !target.name) {
        this.report.error(ref, ["spec", "targetRefs", i, "name"], "missing");
        return;
      }
      for (const field of [...ROUTE_POLICY_FIELDS, ...CLUSTER_POLICY_FIELDS]) {
        if (spec[field] !== undefined && !allowed.fields.includes(field)) {
          this.report.error(
            ref,
            ["spec", field],
            `has no meaning for a ${kind} (targetRefs[${i}]): ${
              allowed.fields === ROUTE_POLICY_FIELDS
                ? "cluster fields go in a policy targeting the Service"
                : "route fields go in a policy targeting the Gateway, HTTPRoute or Ingress"
            }`,
          );
        }
      }
      const key = targetKey(kind, ref.namespace, target.name);
      const sectionName = typeof target.sectionName === "string" ? target.sectionName : undefined;
      const attachments = this.byTarget.get(key) ?? [];
      attachments.push({ policy, targetIndex: i, sectionName, used: false });
      this.byTarget.set(key, attachments);
    });
  }

  /**
   * The value of `field` for a target: the attachments to `section` first, then to the whole object.
   * Among equally specific ones the oldest policy wins; the others are reported.
   */
  lookup<F extends PolicyField>(
    kind: string,
    namespace: string,
    name: string,
    field: F,
    section?: string,
  ): Attached | undefined {
    const attachments = this.byTarget.get(targetKey(kind, namespace, name)) ?? [];
    for (const wanted of section === undefined ? [undefined] : [section, undefined]) {
      const candidates = attachments.filter(
        (a) => a.sectionName === wanted && (a.policy.spec as Record<string, unknown>)[field] !== undefined,
      );
      const [winner, ...losers] = candidates;
      if (!winner) continue;
      winner.used = true;
      for (const loser of losers) {
        if (loser.used) continue;
        loser.used = true;
        this.report.warn(
          refOf(loser.policy),
          ["spec", field],
          `conflicts with GatehousePolicy ${refOf(winner.policy).namespace}/${refOf(winner.policy).name} on the same ${kind} ${namespace}/${name}: the older policy wins`,
        );
      }
      return { value: (winner.policy.spec as Record<string, unknown>)[field], from: refOf(winner.policy) };
    }
    return undefined;
  }

  /** The policy that defined a provider (for problems with it). */
  providerOrigin(name: string): ObjectRef {
    return this.providerSource.get(name) ?? { kind: "GatehousePolicy", namespace: "", name: "" };
  }

  /** Marks the sections of a target that exist, then reports attachments to missing targets or sections. */
  reportUnattached(
    exists: (kind: string, namespace: string, name: string, section?: string) => boolean,
  ): void {
    for (const [key, attachments] of this.byTarget) {
      const [kind, namespace, name] = key.split("/") as [string, string, string];
      for (const a of attachments) {
        if (!exists(kind, namespace, name)) {
          this.report.error(
            refOf(a.policy),
            ["spec", "targetRefs", a.targetIndex],
            `no ${kind} ${namespace}/${name} in the input: the policy applies to nothing`,
          );
        } else if (a.sectionName !== undefined && !exists(kind, namespace, name, a.sectionName)) {
          this.report.error(
            refOf(a.policy),
            ["spec", "targetRefs", a.targetIndex, "sectionName"],
            `${kind} ${namespace}/${name} has no section "${a.sectionName}": the policy applies to nothing`,
          );
        }
      }
    }
  }
}

function targetKey(kind: string, namespace: string, name: string): string {
  return `${kind}/${keyOf(namespace, name)}`;
}
