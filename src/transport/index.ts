/**
 * How requests reach an origin cluster. The data path asks `resolveTransport(cluster, env)` on every
 * attempt and either sends through the answer or, when the worker lacks what the table names, answers
 * 502 `transport_misconfigured` with its message. The status view lists the same gaps for the whole
 * table with `missingBindings(table, env)`. See docs/transports.md.
 *
 *   direct   plain fetch to the endpoint URL                             ./direct.ts
 *   vpc      a Workers VPC Service binding, env[binding].fetch           ./vpc.ts
 *   access   a Cloudflare Access-protected tunnel hostname + service token ./access.ts
 */
import type { Cluster, RouteTable } from "../config/schema.ts";
import type { Env } from "../gateway/env.ts";
import { accessTransport } from "./access.ts";
import { lookupFetcher, lookupSecret } from "./bindings.ts";
import { directTransport } from "./direct.ts";
import { vpcTransport } from "./vpc.ts";

/** How requests reach one cluster: resolved once per table and environment, used per attempt. */
export type TransportResolution =
  | { ok: true; send(request: Request): Promise<Response> }
  | { ok: false; code: "transport_misconfigured"; message: string };

/**
 * Per cluster object (one per published table) and per environment object: the checks run once, and a
 * new table or a new environment is simply a new key.
 */
const resolved = new WeakMap<Cluster, WeakMap<object, TransportResolution>>();

export function resolveTransport(cluster: Cluster, env: Env): TransportResolution {
  let byEnv = resolved.get(cluster);
  if (!byEnv) {
    byEnv = new WeakMap();
    resolved.set(cluster, byEnv);
  }
  let resolution = byEnv.get(env);
  if (!resolution) {
    resolution = resolve(cluster, env);
    byEnv.set(env, resolution);
  }
  return resolution;
}

function resolve(cluster: Cluster, env: Env): TransportResolution {
  const transport = cluster.transport;
  switch (transport.type) {
    case "direct":
      return directTransport(cluster, transport);
    case "vpc":
      return vpcTransport(transport.binding, env);
    case "access":
      return accessTransport(cluster, transport, env);
  }
}

export interface MissingBinding {
  /** Where the table names it, e.g. `clusters.orders.transport.binding`. */
  path: string;
  binding: string;
  message: string;
}

/**
 * Bindings and secrets the table names but the worker's environment lacks (or has as the wrong kind):
 * VPC Service bindings, Access service-token secrets, and providers' HMAC `secret.binding`s.
 */
export function missingBindings(table: RouteTable, env: Env): MissingBinding[] {
  const missing: MissingBinding[] = [];
  const check = (path: string, binding: string, lookup: { ok: true } | { ok: false; problem: string }) => {
    if (!lookup.ok) missing.push({ path, binding, message: lookup.problem });
  };
  for (const [name, cluster] of Object.entries(table.clusters)) {
    const t = cluster.transport;
    const at = `clusters.${name}.transport`;
    if (t.type === "vpc") check(`${at}.binding`, t.binding, lookupFetcher(env, t.binding));
    if (t.type === "access") {
      check(`${at}.clientId.binding`, t.clientId.binding, lookupSecret(env, t.clientId.binding));
      check(`${at}.clientSecret.binding`, t.clientSecret.binding, lookupSecret(env, t.clientSecret.binding));
    }
  }
  for (const [name, provider] of Object.entries(table.providers)) {
    const binding = provider.secret?.binding;
    if (binding) check(`providers.${name}.secret.binding`, binding, lookupSecret(env, binding));
  }
  return missing;
}
