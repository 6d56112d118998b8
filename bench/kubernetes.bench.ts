/**
 * `npm run bench -- kubernetes`: how long `translate()` takes to turn N HTTPRoutes into a route table
 * (what `gatehouse import` and every reconcile of the controller do), and the whole-table validation
 * that follows, at 100, 1,000 and 5,000 routes.
 *
 * The objects are generated from a fixed seed and look like a busy cluster: one Gateway with a wildcard
 * HTTP listener and an HTTPS listener, routes spread over 50 namespaces, each with one to four rules
 * (path prefixes, some exact paths, header and method conditions, header modifiers and rewrites on some),
 * one or two weighted backends out of 400 Services, and EndpointSlices with three pods each for a
 * quarter of the Services (reached pod by pod), every Service with a GatehousePolicy naming its transport.
 */
import { loadavg } from "node:os";
import { validateRouteTable } from "../src/config/validate.ts";
import type { KubeObject } from "../src/kubernetes/objects.ts";
import { translate } from "../src/kubernetes/translate.ts";
import { prng } from "./support/route-tables.ts";

/** `KUBERNETES_SIZES=1000 npm run bench -- kubernetes` to run fewer sizes. */
const SIZES = (process.env.KUBERNETES_SIZES ?? "100,1000,5000").split(",").map(Number);
const RUNS = 7;
const NAMESPACES = 50;
const SERVICES = 400;

function generate(routeCount: number): KubeObject[] {
  const random = prng(15);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const objects: KubeObject[] = [
    {
      kind: "GatewayClass",
      metadata: { name: "gatehouse" },
      spec: { controllerName: "gatehouse.dev/controller" },
    },
    {
      kind: "Gateway",
      metadata: { namespace: "infra", name: "edge" },
      spec: {
        gatewayClassName: "gatehouse",
        listeners: [
          {
            name: "http",
            protocol: "HTTP",
            port: 80,
            hostname: "*.example.com",
            allowedRoutes: { namespaces: { from: "All" } },
          },
          { name: "https", protocol: "HTTPS", port: 443, allowedRoutes: { namespaces: { from: "All" } } },
        ],
      },
    },
  ];
  const services: { namespace: string; name: string }[] = [];
  for (let s = 0; s < SERVICES; s++) {
    const namespace = `team-${s % NAMESPACES}`;
    const name = `svc-${s}`;
    services.push({ namespace, name });
    objects.push({
      kind: "Service",
      metadata: { namespace, name },
      spec: { ports: [{ name: "http", port: 80, targetPort: 8080 }] },
    });
    if (s % 4 === 0) {
      objects.push({
        kind: "EndpointSlice",
        metadata: { namespace, name: `${name}-abcde`, labels: { "kubernetes.io/service-name": name } },
        addressType: "IPv4",
        ports: [{ name: "http", port: 8080 }],
        endpoints: [1, 2, 3].map((pod) => ({
          addresses: [`10.${s % 250}.${pod}.${(s * 7) % 250}`],
          conditions: { ready: pod !== 3, serving: true, terminating: pod === 3 },
          targetRef: { kind: "Pod", name: `${name}-${pod}` },
        })),
      });
    }
    objects.push({
      kind: "GatehousePolicy",
      metadata: { namespace, name: `${name}-backend` },
      spec: {
        targetRefs: [{ group: "", kind: "Service", name }],
        ...(s % 4 === 0 ? { endpointSource: "EndpointSlices" } : {}),
        transport: { type: "vpc", binding: "CLUSTER_VPC" },
      },
    });
  }
  for (let r = 0; r < routeCount; r++) {
    const namespace = `team-${r % NAMESPACES}`;
    const local = services.filter((s) => s.namespace === namespace);
    const rules = Array.from({ length: 1 + Math.floor(random() * 4) }, (_, i) => {
      const prefix = `/api/v${1 + (i % 3)}/${pick(["orders", "users", "carts", "items", "search"])}${i}`;
      const match: Record<string, unknown> =
        random() < 0.2
          ? { path: { type: "Exact", value: `${prefix}/health` } }
          : { path: { type: "PathPrefix", value: prefix } };
      if (random() < 0.2) match.method = pick(["GET", "POST"]);
      if (random() < 0.15) match.headers = [{ name: "x-tenant", value: `t${r % 17}` }];
      const filters: unknown[] = [];
      if (random() < 0.3)
        filters.push({
          type: "RequestHeaderModifier",
          requestHeaderModifier: { set: [{ name: "x-route", value: `r${r}` }] },
        });
      if (random() < 0.2 && (match.path as { type: string }).type === "PathPrefix")
        filters.push({
          type: "URLRewrite",
          urlRewrite: { path: { type: "ReplacePrefixMatch", replacePrefixMatch: "/" } },
        });
      const backends = Array.from({ length: random() < 0.2 ? 2 : 1 }, () => ({
        name: pick(local).name,
        port: 80,
        weight: 1 + Math.floor(random() * 9),
      }));
      return {
        matches: [match],
        ...(filters.length ? { filters } : {}),
        backendRefs: backends,
        timeouts: { request: "10s" },
      };
    });
    objects.push({
      kind: "HTTPRoute",
      metadata: {
        namespace,
        name: `route-${r}`,
        creationTimestamp: `2026-01-01T00:${String(Math.floor(r / 60) % 60).padStart(2, "0")}:${String(r % 60).padStart(2, "0")}Z`,
      },
      spec: {
        parentRefs: [{ name: "edge", namespace: "infra", sectionName: random() < 0.5 ? "http" : "https" }],
        hostnames: [`app-${r % 300}.example.com`],
        rules,
      },
    } as KubeObject);
  }
  return objects;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

console.log("## Kubernetes translation (`translate()`, bench/kubernetes.bench.ts)\n");
console.log(
  `load average ${loadavg()
    .map((v) => v.toFixed(2))
    .join(" / ")}; median of ${RUNS} runs after one warm-up\n`,
);
console.log("| HTTPRoutes | objects | rules | translate | per route | validate (whole table) | problems |");
console.log("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
for (const size of SIZES) {
  const objects = generate(size);
  translate(objects); // warm-up
  const translateMs: number[] = [];
  const validateMs: number[] = [];
  let rules = 0;
  let problems = 0;
  for (let run = 0; run < RUNS; run++) {
    const started = performance.now();
    const translation = translate(objects);
    const translated = performance.now();
    const result = validateRouteTable(translation.table);
    validateMs.push(performance.now() - translated);
    translateMs.push(translated - started);
    if (!result.ok)
      throw new Error(
        `the generated table is invalid: ${result.problems[0]?.path}: ${result.problems[0]?.message}`,
      );
    rules = translation.table.routes.reduce((n, r) => n + r.rules.length, 0);
    problems = translation.problems.length;
  }
  const t = median(translateMs);
  console.log(
    `| ${size.toLocaleString("en")} | ${objects.length.toLocaleString("en")} | ${rules.toLocaleString("en")} | ${t.toFixed(0)} ms | ${((t / size) * 1000).toFixed(0)} µs | ${median(validateMs).toFixed(0)} ms | ${problems} |`,
  );
}
console.log("");
