/** The worker's bindings (see shared/design/route-table.md "The worker's environment"). */
export interface Env {
  ROUTES: KVNamespace;
  /** Seconds between background re-reads of the active pointer. Default 10. */
  ROUTES_REFRESH_SECONDS?: string;
  ADMIN_HOSTNAME?: string;
  ADMIN_TOKEN?: string;
  SESSION_SECRET?: string;
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
