// STUB: replaced by KV-backed table loading with background refresh (issue 5).
import type { GatewayConfig } from "../gateway/compile.ts";
import type { Env } from "../gateway/env.ts";

/** The compiled table this request runs on; undefined when no table was ever published. */
export async function currentGateway(_env: Env, _ctx: ExecutionContext): Promise<GatewayConfig | undefined> {
  return undefined;
}
