// STUB: replaced by the data path (issue 3).
import type { RouteTable } from "../config/schema.ts";
import type { AccessLogEntry } from "../gateway/access-log.ts";
import type { UpstreamDraft } from "../gateway/draft.ts";
import type { Env } from "../gateway/env.ts";
import type { RouteMatch } from "../routing/types.ts";

export interface CompiledClusters {
  readonly names: readonly string[];
}

export function compileClusters(table: RouteTable): CompiledClusters {
  return { names: Object.keys(table.clusters) };
}

export interface ForwardInput {
  match: RouteMatch;
  request: Request;
  /** The public URL as the client sent it (scheme, host, port): redirects and X-Forwarded-* need it. */
  url: URL;
  draft: UpstreamDraft;
  clusters: CompiledClusters;
  claims: Readonly<Record<string, unknown>> | undefined;
  clientIp: string;
  env: Env;
  ctx: ExecutionContext;
  requestId: string;
  log: AccessLogEntry;
}

/** Request filters, backend choice, endpoint choice, forward with retries, response filters. */
export async function routeToUpstream(_input: ForwardInput): Promise<Response> {
  return new Response("not implemented", { status: 501 });
}

export interface EndpointHealth {
  cluster: string;
  endpoint: string;
  healthy: boolean;
  consecutiveErrors: number;
  ejectedUntil?: string;
}

/** For the status view: passive health of every endpoint as this isolate sees it. */
export function describeEndpointHealth(_clusters: CompiledClusters): EndpointHealth[] {
  return [];
}
