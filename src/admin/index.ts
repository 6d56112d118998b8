// STUB: replaced by the status surface (issue 5).
import type { GatewayConfig } from "../gateway/compile.ts";
import type { Env } from "../gateway/env.ts";

export async function handleAdmin(
  _request: Request,
  _env: Env,
  _gateway: GatewayConfig | undefined,
): Promise<Response> {
  return new Response("not implemented", { status: 501 });
}
