/** The worker's bindings and vars (wrangler.toml; docs/deploy.md says how each is set). */
export interface Env {
  ROUTES: KVNamespace;
  /** Seconds between background re-reads of the active pointer. Default 10. */
  ROUTES_REFRESH_SECONDS?: string;
  ADMIN_HOSTNAME?: string;
  ADMIN_TOKEN?: string;
  SESSION_SECRET?: string;
  /** Rate Limiting bindings, one per period (docs/traffic-policy.md#backends). */
  RATE_LIMIT_10S?: RateLimit;
  RATE_LIMIT_60S?: RateLimit;
  /** The Durable Object rate-limit counter (`backend: DurableObject`). */
  RATE_LIMITER?: DurableObjectNamespace;
  /** Table-named secrets (`secret.binding`, Access ids) and VPC service bindings live here too. */
  [binding: string]: unknown;
}
