/**
 * Generated route tables and requests for the benchmarks, from a fixed seed, shaped like a
 * multi-tenant gateway: many service hosts with a few API prefixes each, some exact health paths and
 * numeric-id regexes, header and method conditions on a few rules, tenant wildcard hosts, and a handful
 * of routes without hostnames. Requests hit random rules; about 10 % match nothing.
 *
 * The matcher bench compiles these tables directly; the end-to-end bench publishes them to KV.
 */

/** mulberry32: small, fast, good enough to pick words. */
export function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const RESOURCES = ["orders", "users", "carts", "payments", "search", "catalog", "invoices", "sessions"];

export interface GeneratedRule {
  kind: "prefix" | "exact" | "regex";
  path: string;
  method?: string;
  canary?: boolean;
}

export interface GeneratedRoute {
  hostname: string | undefined;
  rules: GeneratedRule[];
}

export function generateRoutes(count: number, random: () => number): GeneratedRoute[] {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const hosts = Math.max(1, Math.floor(count / 4));
  const tenants = Math.max(1, Math.floor(count / 200));
  const routes: GeneratedRoute[] = [];
  for (let i = 0; i < count; i++) {
    const roll = random();
    const hostname =
      roll < 0.01 ? undefined : roll < 0.06 ? `*.t${i % tenants}.example.net` : `svc${i % hosts}.example.com`;
    const base = `/api/v${1 + (i % 3)}/${pick(RESOURCES)}${Math.floor(i / hosts)}`;
    const rules: GeneratedRule[] = [];
    for (let r = 0, n = 1 + Math.floor(random() * 3); r < n; r++) {
      const kind = random();
      if (kind < 0.7) rules.push({ kind: "prefix", path: r === 0 ? base : `${base}/${pick(RESOURCES)}` });
      else if (kind < 0.85) rules.push({ kind: "exact", path: `${base}/status` });
      else rules.push({ kind: "regex", path: `${base}/items` });
      if (random() < 0.05) rules[r]!.method = "GET";
      if (random() < 0.05) rules[r]!.canary = true;
    }
    routes.push({ hostname, rules });
  }
  return routes;
}

/** The `routes` list of a route table (unvalidated input, as a file would hold it). */
export function routeTableRoutes(routes: GeneratedRoute[], backend: string): unknown[] {
  return routes.map((route, i) => ({
    id: `r${i}`,
    hostnames: route.hostname === undefined ? undefined : [route.hostname],
    rules: route.rules.map((rule) => ({
      matches: [
        {
          path:
            rule.kind === "regex"
              ? { type: "RegularExpression", value: `${rule.path}/[0-9]+` }
              : { type: rule.kind === "exact" ? "Exact" : "PathPrefix", value: rule.path },
          method: rule.method,
          headers: rule.canary ? [{ name: "x-canary", value: "1" }] : undefined,
        },
      ],
      backendRefs: [{ name: backend }],
    })),
  }));
}

export interface GeneratedRequest {
  method: string;
  /** As a client sends it: sometimes with a port. */
  host: string;
  path: string;
  search: string;
  headers: Record<string, string>;
}

export function generateRequests(
  routes: GeneratedRoute[],
  count: number,
  random: () => number,
): GeneratedRequest[] {
  const requests: GeneratedRequest[] = [];
  for (let i = 0; i < count; i++) {
    if (random() < 0.1) {
      requests.push({
        method: "GET",
        host: `nowhere${i}.example.org`,
        path: `/x/${i}`,
        search: "",
        headers: {},
      });
      continue;
    }
    const route = routes[Math.floor(random() * routes.length)]!;
    const rule = route.rules[Math.floor(random() * route.rules.length)]!;
    const host =
      route.hostname === undefined
        ? `any${i}.example.org`
        : route.hostname.startsWith("*.")
          ? `tenant${i}${route.hostname.slice(1)}`
          : route.hostname;
    const path =
      rule.kind === "exact"
        ? rule.path
        : rule.kind === "regex"
          ? `${rule.path}/${i}`
          : `${rule.path}/${i}/details`;
    requests.push({
      method: rule.method ?? (random() < 0.8 ? "GET" : "POST"),
      host: `${host}${random() < 0.3 ? ":443" : ""}`,
      path,
      search: random() < 0.3 ? "?page=2" : "",
      headers: rule.canary ? { "x-canary": "1" } : {},
    });
  }
  return requests;
}

/**
 * A table shaped to make a hot route's host crowded (issue 12), `count` routes in all:
 * - 1,000 routes on `hotHost` itself, next to the hot route: prefixes, exact paths and regexes under
 *   other first segments (`/svc17/…`), and some regexes with no literal segment (`/v[0-9]+/…`), which
 *   sit at the host's trie root where every request to that host meets them;
 * - 3,300 Exact routes on unique paths, spread over service hosts;
 * - 500 regex routes over 500 hosts, drawing from 200 distinct patterns;
 * - routes under 7 wildcard suffixes, one of which (`*.<parent of hotHost>`) covers the hot host;
 * - the rest the ordinary generated shape (`generateRoutes`).
 * The hot route itself is not in it: the bench adds it.
 */
export function crowdedHostRoutes(count: number, hotHost: string, random: () => number): GeneratedRoute[] {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const routes: GeneratedRoute[] = [];
  const parent = hotHost.slice(hotHost.indexOf("."));
  const suffixes = [parent, ...Array.from({ length: 6 }, (_, i) => `.w${i}.example.net`)];
  for (let i = 0; i < 1_000; i++) {
    const base = `/svc${i}/${pick(RESOURCES)}`;
    const roll = random();
    const rule: GeneratedRule =
      roll < 0.6
        ? { kind: "prefix", path: base }
        : roll < 0.85
          ? { kind: "exact", path: `${base}/status` }
          : roll < 0.95
            ? { kind: "regex", path: `${base}/items` }
            : // No literal segment: filed at the host's root, met by every request to the host.
              { kind: "regex", path: `/v[0-9]+/svc${i}` };
    if (random() < 0.05) rule.method = "GET";
    if (random() < 0.05) rule.canary = true;
    routes.push({ hostname: hotHost, rules: [rule] });
  }
  for (let i = 0; i < 3_300; i++) {
    routes.push({
      hostname: `svc${i % 800}.example.com`,
      rules: [{ kind: "exact", path: `/exact/${i}/${pick(RESOURCES)}` }],
    });
  }
  for (let i = 0; i < 500; i++) {
    const pattern = i % 200;
    routes.push({
      hostname: `rx${i}.example.org`,
      rules: [
        { kind: "regex", path: pattern % 4 === 0 ? `/r${pattern}` : `/api/r${pattern}/${pick(RESOURCES)}` },
      ],
    });
  }
  for (let i = 0; i < 700; i++) {
    routes.push({
      hostname: `*${suffixes[i % suffixes.length]}`,
      rules: [{ kind: "prefix", path: `/tenant${i}/${pick(RESOURCES)}` }],
    });
  }
  return [...routes, ...generateRoutes(Math.max(0, count - routes.length), random)];
}
