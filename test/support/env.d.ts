import type { Env as GatewayEnv } from "../../src/gateway/env.ts";

declare global {
  namespace Cloudflare {
    interface Env extends GatewayEnv {}
  }
}
