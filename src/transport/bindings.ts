/**
 * Reading what the route table names from the worker's environment. The table says which binding or
 * secret a cluster or provider needs; wrangler.toml and `wrangler secret put` decide whether it exists.
 * One function per kind, each returning the value or a sentence an operator can act on, so the 502 and
 * the status view say the same thing.
 */
import type { Env } from "../gateway/env.ts";

/** What a VPC Service binding (or any service binding) offers: `fetch`. */
export interface Fetcher {
  fetch(request: Request): Promise<Response>;
}

export type Lookup<T> = { ok: true; value: T } | { ok: false; problem: string };

export function lookupFetcher(env: Env, binding: string): Lookup<Fetcher> {
  const value = env[binding];
  if (value === undefined || value === null) {
    return {
      ok: false,
      problem: `no VPC Service binding ${binding} in the worker's environment (wrangler.toml [[vpc_services]])`,
    };
  }
  if (typeof (value as Partial<Fetcher>).fetch !== "function") {
    return { ok: false, problem: `binding ${binding} is not a VPC Service binding (it has no fetch method)` };
  }
  return { ok: true, value: value as Fetcher };
}

export function lookupSecret(env: Env, binding: string): Lookup<string> {
  const value = env[binding];
  if (value === undefined || value === null) {
    return {
      ok: false,
      problem: `no secret ${binding} in the worker's environment (wrangler secret put ${binding})`,
    };
  }
  if (typeof value !== "string") return { ok: false, problem: `binding ${binding} is not a secret (text)` };
  if (value === "") return { ok: false, problem: `secret ${binding} is empty` };
  return { ok: true, value };
}
