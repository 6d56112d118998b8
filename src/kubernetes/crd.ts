/**
 * The GatehousePolicy CustomResourceDefinition (deploy/crds/gatehouse.dev_gatehousepolicies.yaml),
 * generated from the route table's zod schema so that a policy's `tls`, `auth`, `transport`… accept
 * exactly what the same fields of a table do, with the API server's own validation on `kubectl apply`.
 * `npm run schema:export` writes it; a test keeps the committed file fresh.
 *
 * Kubernetes wants a structural schema: every node typed, no `additionalProperties: false` next to
 * `properties`, no types inside `anyOf`/`oneOf`. The zod schema's unions are rewritten accordingly: a
 * discriminated union of objects becomes one object with every branch's fields (the translation's
 * validation still decides which combinations are allowed), enums of literals become one enum, and
 * the rare union of an object with a scalar (`hsts: false`) keeps unknown fields.
 */
import { z } from "zod";
import {
  AuthSchema,
  ClusterSchema,
  LoadBalancerSchema,
  ProviderSchema,
  TlsPolicySchema,
  TransportSchema,
} from "../config/schema.ts";
import { GATEHOUSE_GROUP, GATEWAY_API_GROUP, NETWORKING_GROUP } from "./objects.ts";

type Schema = { [key: string]: unknown };

const KEPT = [
  "type",
  "description",
  "enum",
  "pattern",
  "minimum",
  "maximum",
  "minLength",
  "maxLength",
  "minItems",
  "maxItems",
];

/** A zod-generated OpenAPI 3.0 schema → a Kubernetes structural schema. */
export function structural(node: Schema): Schema {
  const union = (node.anyOf ?? node.oneOf) as Schema[] | undefined;
  if (union) {
    const branches = union.map(structural);
    const types = new Set(branches.map((b) => b.type));
    if (types.size === 1 && types.has("object")) {
      const properties: Record<string, Schema> = {};
      for (const branch of branches) {
        for (const [key, value] of Object.entries((branch.properties ?? {}) as Record<string, Schema>)) {
          const existing = properties[key];
          properties[key] =
            existing && Array.isArray(existing.enum) && Array.isArray(value.enum)
              ? { ...existing, enum: [...existing.enum, ...value.enum] }
              : (existing ?? value);
        }
      }
      const required = branches
        .map((b) => (b.required ?? []) as string[])
        .reduce((common, r) => common.filter((key) => r.includes(key)));
      return { type: "object", properties, ...(required.length > 0 ? { required } : {}) };
    }
    if (types.size === 1 && branches.every((b) => Array.isArray(b.enum))) {
      const values = branches.flatMap((b) => b.enum as unknown[]);
      const type = values.every((v) => Number.isInteger(v)) ? "integer" : (branches[0]!.type as string);
      return { type, enum: values };
    }
    return { "x-kubernetes-preserve-unknown-fields": true };
  }
  const out: Schema = {};
  for (const key of KEPT) if (node[key] !== undefined) out[key] = node[key];
  if (out.type === "number" && Array.isArray(out.enum) && out.enum.every((v) => Number.isInteger(v)))
    out.type = "integer";
  if (node.type === "object") {
    if (node.properties) {
      out.properties = Object.fromEntries(
        Object.entries(node.properties as Record<string, Schema>).map(([key, value]) => [
          key,
          structural(value),
        ]),
      );
      if (Array.isArray(node.required) && node.required.length > 0) out.required = node.required;
    }
    const extra = node.additionalProperties;
    if (extra && typeof extra === "object" && Object.keys(extra).length > 0)
      out.additionalProperties = structural(extra as Schema);
    else if (extra === true || (extra && typeof extra === "object") || !node.properties)
      out["x-kubernetes-preserve-unknown-fields"] = true;
  }
  if (node.type === "array" && node.items) out.items = structural(node.items as Schema);
  return out;
}

function fromZod(schema: z.ZodType, description: string): Schema {
  const converted = structural(z.toJSONSchema(schema, { target: "openapi-3.0", io: "input" }) as Schema);
  return { ...converted, description };
}

export function gatehousePolicyCrd(): Schema {
  const healthCheck = ClusterSchema.shape.healthCheck;
  const spec: Schema = {
    type: "object",
    required: ["targetRefs"],
    description:
      "What Gatehouse adds to the Kubernetes objects it targets, with the route table's field names (docs/kubernetes.md).",
    properties: {
      targetRefs: {
        type: "array",
        minItems: 1,
        maxItems: 16,
        description:
          "The objects, in the policy's namespace, this policy applies to: a Gateway or HTTPRoute (sectionName: a listener or rule name), an Ingress, or a Service (sectionName: a port name).",
        items: {
          type: "object",
          required: ["group", "kind", "name"],
          properties: {
            group: {
              type: "string",
              enum: [GATEWAY_API_GROUP, NETWORKING_GROUP, ""],
              description: 'The target\'s API group ("" for a Service).',
            },
            kind: { type: "string", enum: ["Gateway", "HTTPRoute", "Ingress", "Service"] },
            name: { type: "string", minLength: 1, maxLength: 253 },
            sectionName: { type: "string", minLength: 1, maxLength: 253 },
          },
        },
      },
      providers: {
        type: "object",
        description: "JWT issuers by name, added to the table's providers (route table: providers).",
        additionalProperties: fromZod(
          ProviderSchema,
          "A JWT issuer: exactly one of remoteJWKS, localJWKS or secret.",
        ),
      },
      auth: fromZod(
        AuthSchema,
        "Per-rule JWT authentication for every rule of the target (route table: rules[].auth).",
      ),
      tls: fromZod(
        TlsPolicySchema,
        "The edge TLS policy of the target's routes (route table: routes[].tls).",
      ),
      trustRequestId: {
        type: "boolean",
        description: "Keep a client's X-Request-Id (route table: routes[].trustRequestId).",
      },
      transport: fromZod(
        TransportSchema,
        "How the Service's cluster is reached: direct, vpc or access (route table: clusters.*.transport).",
      ),
      loadBalancer: fromZod(
        LoadBalancerSchema,
        "RoundRobin, Random or ConsistentHash (route table: clusters.*.loadBalancer).",
      ),
      healthCheck: fromZod(healthCheck, "Passive health checking (route table: clusters.*.healthCheck)."),
      hostname: {
        type: "string",
        minLength: 1,
        description: "The Host the Service's pods receive (route table: clusters.*.hostname).",
      },
      endpointSource: {
        type: "string",
        enum: ["EndpointSlices", "ServiceDNS"],
        description:
          "Where the Service's endpoints come from: each ready pod (EndpointSlices) or the Service's DNS name (ServiceDNS).",
      },
    },
  };
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `gatehousepolicies.${GATEHOUSE_GROUP}` },
    spec: {
      group: GATEHOUSE_GROUP,
      names: {
        kind: "GatehousePolicy",
        listKind: "GatehousePolicyList",
        plural: "gatehousepolicies",
        singular: "gatehousepolicy",
        shortNames: ["ghpolicy"],
      },
      scope: "Namespaced",
      versions: [
        {
          name: "v1alpha1",
          served: true,
          storage: true,
          subresources: { status: {} },
          schema: {
            openAPIV3Schema: {
              type: "object",
              description:
                "GatehousePolicy attaches Gatehouse's route-table fields (JWT auth, TLS policy, transports, load balancing) to Gateways, HTTPRoutes, Ingresses and Services.",
              required: ["spec"],
              properties: {
                apiVersion: { type: "string" },
                kind: { type: "string" },
                metadata: { type: "object" },
                spec,
                status: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
              },
            },
          },
        },
      ],
    },
  };
}
