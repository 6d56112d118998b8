/** The worker's bindings and vars (wrangler.toml; docs/deploy.md says how each is set). */
export interface Env {
  ROUTES: KVNamespace;
  /** Seconds between background re-reads of the active pointer. Default 10. */
  ROUTES_REFRESH_SECONDS?: string;
  ADMIN_HOSTNAME?: string;
  ADMIN_TOKEN?: string;
  SESSION_SECRET?: string;
  /** Table-named secrets (`secret.binding`, Access ids) and VPC service bindings live here too. */
  [binding: string]: unknown;
}
