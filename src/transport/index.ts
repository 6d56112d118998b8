// STUB: replaced by the transports to origin clusters (issue 6). Only `direct` works here.
import type { Cluster } from "../config/schema.ts";
import type { Env } from "../gateway/env.ts";

/** How requests reach one cluster: resolved once per table and environment, used per attempt. */
export type TransportResolution =
  | { ok: true; send(request: Request): Promise<Response> }
  | { ok: false; code: "transport_misconfigured"; message: string };

export function resolveTransport(_cluster: Cluster, _env: Env): TransportResolution {
  return { ok: true, send: (request) => fetch(request) };
}

export interface MissingBinding {
  /** Where the table names it, e.g. `clusters.orders.transport.binding`. */
  path: string;
  binding: string;
  message: string;
}

/** Bindings and secrets the table names but the worker's environment lacks (status view, 502s). */
export function missingBindings(
  _table: import("../config/schema.ts").RouteTable,
  _env: Env,
): MissingBinding[] {
  return [];
}
