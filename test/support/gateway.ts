/**
 * Drive the real pipeline inside workerd with a given table, without going through KV: the data-path,
 * auth and TLS suites use this; the KV suites go through the worker's own `fetch` (SELF).
 */
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import type { RouteTableInput } from "../../src/config/schema.ts";
import { RouteTableSchema } from "../../src/config/schema.ts";
import { compileGateway, type GatewayConfig } from "../../src/gateway/compile.ts";
import type { Env } from "../../src/gateway/env.ts";
import { handleRequest } from "../../src/gateway/pipeline.ts";

export function gatewayFor(input: RouteTableInput): GatewayConfig {
  const table = RouteTableSchema.parse(input);
  return compileGateway(table, { version: 1, hash: "test" });
}

export interface GatewayFetchOptions {
  env?: Partial<Env>;
  /** `request.cf` as Cloudflare would set it (tlsVersion, tlsClientAuth, …). */
  cf?: Record<string, unknown>;
  /** Wait for `waitUntil` work (mirrors, refreshes) before returning. */
  waitForBackground?: boolean;
}

export async function gatewayFetch(
  gateway: GatewayConfig,
  input: string | Request,
  init?: RequestInit,
  options: GatewayFetchOptions = {},
): Promise<Response> {
  let request = new Request(input, init);
  if (options.cf) request = new Request(request, { cf: options.cf } as RequestInit);
  const ctx = createExecutionContext();
  const testEnv = { ...(env as unknown as Env), ...options.env } as Env;
  const response = await handleRequest(request, testEnv, ctx, gateway);
  if (options.waitForBackground) await waitOnExecutionContext(ctx);
  return response;
}
