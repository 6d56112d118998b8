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
  /** Access log (docs/observability.md): share of answered requests logged, and the fields kept. */
  ACCESS_LOG_SAMPLE_RATE?: string;
  ACCESS_LOG_FIELDS?: string;
  /** Workers Analytics Engine dataset: one data point per request when bound. */
  ANALYTICS?: AnalyticsEngineDataset;
  /** The status page's traffic from the Analytics Engine SQL API (src/admin/traffic.ts). */
  ANALYTICS_ACCOUNT_ID?: string;
  ANALYTICS_API_TOKEN?: string;
  ANALYTICS_DATASET?: string;
  ANALYTICS_SQL_URL?: string;
  /** Cloudflare Access in front of the admin host (src/admin/access.ts). */
  ADMIN_ACCESS_TEAM_DOMAIN?: string;
  ADMIN_ACCESS_AUD?: string;
  ADMIN_ACCESS_CERTS_URL?: string;
  /** Table-named secrets (`secret.binding`, Access ids) and VPC service bindings live here too. */
  [binding: string]: unknown;
}
