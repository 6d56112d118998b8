// STUB: replaced by per-service JWT verification (issue 4).
import type { RouteTable } from "../config/schema.ts";
import type { UpstreamDraft } from "../gateway/draft.ts";
import type { Env } from "../gateway/env.ts";
import type { CompiledRule } from "../routing/types.ts";

export type CompiledAuth = Record<string, never>;

export type AuthOutcome =
  | { ok: true; claims: Readonly<Record<string, unknown>> | undefined }
  | { ok: false; response: Response };

export function compileAuth(_table: RouteTable): CompiledAuth {
  return {};
}

export interface AuthInput {
  rule: CompiledRule;
  request: Request;
  draft: UpstreamDraft;
  auth: CompiledAuth;
  env: Env;
  requestId: string;
}

export async function authenticate(_input: AuthInput): Promise<AuthOutcome> {
  return { ok: true, claims: undefined };
}

export interface KeySetStatus {
  provider: string;
  kind: "remoteJWKS" | "localJWKS" | "secret";
  state: "ready" | "stale" | "failed" | "unfetched" | "missing-secret";
  keys: number;
  fetchedAt?: string;
}

/** For the status view: each provider's key material as this isolate sees it. */
export function describeKeySets(_auth: CompiledAuth, _env: Env): KeySetStatus[] {
  return [];
}
