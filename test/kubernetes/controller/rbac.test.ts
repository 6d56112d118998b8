/**
 * deploy/rbac.yaml is exactly what the controller needs: a live controller goes through everything it
 * does (watch every kind, take the Lease and renew it, publish, write each kind of status, create an
 * event), every request it makes is allowed by the rules as RBAC evaluates them, and every rule is used
 * (nothing granted that it never asks for).
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { WATCHED_KINDS } from "../../../src/kubernetes/controller/kinds.ts";
import { MemoryKv } from "../../store/memory-kv.ts";
import type { KubeApiServer, RecordedRequest } from "../../support/kube-api-server.ts";
import {
  Cluster,
  CONTROLLER_USER,
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

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
  resourceNames?: string[];
}
interface Grant {
  /** undefined: every namespace (a ClusterRole through a ClusterRoleBinding). */
  namespace: string | undefined;
  rule: Rule;
}

const LEASE_NAMESPACE = "gatehouse-system";

function grants(): Grant[] {
  const docs = parseAllDocuments(
    readFileSync(new URL("../../../deploy/rbac.yaml", import.meta.url), "utf8"),
  ).map(
    (d) =>
      d.toJS() as {
        kind: string;
        metadata: { name: string; namespace?: string };
        rules?: Rule[];
        roleRef?: { name: string; kind: string };
        subjects?: { name: string; namespace: string }[];
      },
  );
  const bound = (kind: string) =>
    docs
      .filter((d) => d.kind === kind)
      .filter((b) =>
        b.subjects?.some((s) => s.name === "gatehouse-controller" && s.namespace === LEASE_NAMESPACE),
      );
  const out: Grant[] = [];
  for (const binding of bound("ClusterRoleBinding")) {
    const role = docs.find((d) => d.kind === "ClusterRole" && d.metadata.name === binding.roleRef?.name);
    for (const rule of role?.rules ?? []) out.push({ namespace: undefined, rule });
  }
  for (const binding of bound("RoleBinding")) {
    const role = docs.find(
      (d) =>
        d.kind === "Role" &&
        d.metadata.name === binding.roleRef?.name &&
        d.metadata.namespace === binding.metadata.namespace,
    );
    for (const rule of role?.rules ?? []) out.push({ namespace: binding.metadata.namespace, rule });
  }
  return out;
}

/** A request as RBAC sees it: API group, resource (with subresource), verb, namespace, name. */
interface Attributes {
  group: string;
  resource: string;
  verb: string;
  namespace: string | undefined;
  name: string | undefined;
}

function attributesOf(request: RecordedRequest): Attributes {
  const parts = request.path.split("/").filter(Boolean);
  const [group, rest] = parts[0] === "api" ? ["", parts.slice(2)] : [parts[1]!, parts.slice(3)];
  let namespace: string | undefined;
  let path = rest;
  if (path[0] === "namespaces" && path.length >= 3) {
    namespace = path[1];
    path = path.slice(2);
  }
  const [plural, name, sub] = path;
  const verb =
    request.method === "GET"
      ? name === undefined
        ? request.query.watch === "true"
          ? "watch"
          : "list"
        : "get"
      : ({ POST: "create", PUT: "update", PATCH: "patch", DELETE: "delete" } as Record<string, string>)[
          request.method
        ]!;
  return { group, resource: sub ? `${plural}/${sub}` : plural!, verb, namespace, name };
}

function allows(grant: Grant, a: Attributes): boolean {
  const { rule } = grant;
  return (
    (grant.namespace === undefined || grant.namespace === a.namespace) &&
    rule.apiGroups.includes(a.group) &&
    rule.resources.includes(a.resource) &&
    rule.verbs.includes(a.verb) &&
    (rule.resourceNames === undefined || (a.name !== undefined && rule.resourceNames.includes(a.name)))
  );
}

let server: KubeApiServer;
let controller: RunningController;

beforeAll(async () => {
  server = await startApiServer();
  const cluster = new Cluster(server);
  for (const object of [gatewayClass, gateway, service("storefront"), endpointSlice("storefront", 9001)]) {
    await cluster.create(object);
  }
  await cluster.create({
    apiVersion: "networking.k8s.io/v1",
    kind: "IngressClass",
    metadata: { name: "gatehouse" },
    spec: { controller: "gatehouse.dev/controller" },
  });
  const ingress = {
    apiVersion: "networking.k8s.io/v1",
    kind: "Ingress",
    metadata: {
      name: "legacy",
      namespace: "shop",
      annotations: { "nginx.ingress.kubernetes.io/server-snippet": "x" },
    },
    spec: {
      ingressClassName: "gatehouse",
      rules: [
        {
          host: "legacy.example.com",
          http: {
            paths: [
              {
                path: "/",
                pathType: "Prefix",
                backend: { service: { name: "storefront", port: { number: 80 } } },
              },
            ],
          },
        },
      ],
    },
  };
  await cluster.create(ingress);
  const route = httpRoute("shop", "shop.example.com", "storefront");
  await cluster.create(route);
  controller = await startController(server, new MemoryKv(), {
    lease: {
      namespace: LEASE_NAMESPACE,
      name: "gatehouse-controller",
      durationSeconds: 1,
      renewDeadlineMs: 600,
      retryPeriodMs: 100,
    },
  });
  await until("every status written", () => {
    const statuses = [cluster.get(gatewayClass), cluster.get(gateway), cluster.get(ingress as never)].map(
      (o) => o?.status,
    );
    return routeConditions(cluster.get(route))?.Programmed && statuses.every((s) => s !== undefined);
  });
  await until("an event", () => server.list("Event", "events.k8s.io").length > 0);
  // A few renewals of the Lease.
  await new Promise((r) => setTimeout(r, 300));
});
afterAll(async () => {
  await controller?.stop();
  await server?.stop();
});

describe("deploy/rbac.yaml", () => {
  it("allows every request the controller makes", () => {
    const rules = grants();
    const made = server.requests.filter((r) => r.user === CONTROLLER_USER).map(attributesOf);
    expect(made.length).toBeGreaterThan(20);
    const refused = made.filter((a) => !rules.some((g) => allows(g, a)));
    expect(refused).toEqual([]);
  });

  it("grants nothing the controller does not use", () => {
    const made = server.requests.filter((r) => r.user === CONTROLLER_USER).map(attributesOf);
    const unused: string[] = [];
    for (const grant of grants()) {
      for (const group of grant.rule.apiGroups) {
        for (const resource of grant.rule.resources) {
          for (const verb of grant.rule.verbs) {
            const used = made.some((a) =>
              allows(
                {
                  namespace: grant.namespace,
                  rule: { ...grant.rule, apiGroups: [group], resources: [resource], verbs: [verb] },
                },
                a,
              ),
            );
            if (!used) unused.push(`${verb} ${group || "core"}/${resource}`);
          }
        }
      }
    }
    expect(unused).toEqual([]);
  });

  it("covers every watched kind and every status the controller writes", () => {
    const rules = grants();
    for (const kind of WATCHED_KINDS) {
      for (const verb of ["list", "watch"]) {
        expect(
          rules.some((g) =>
            allows(g, { group: kind.group, resource: kind.plural, verb, namespace: "any", name: undefined }),
          ),
          `${verb} ${kind.plural}`,
        ).toBe(true);
      }
      const patchStatus = rules.some((g) =>
        allows(g, {
          group: kind.group,
          resource: `${kind.plural}/status`,
          verb: "patch",
          namespace: "any",
          name: "x",
        }),
      );
      expect(patchStatus, `patch ${kind.plural}/status`).toBe(kind.writesStatus);
    }
  });
});
