/**
 * Route hostnames: exact names and `*.` suffix wildcards (Gateway API). A wildcard matches one or more
 * labels in front of its suffix and never the bare suffix: `*.example.com` matches `a.example.com` and
 * `a.b.example.com`, not `example.com`. The matcher finds the wildcards covering a host by looking up
 * each of the host's suffixes that starts at a dot, longest first.
 */
import { normalizeHost } from "./normalize.ts";

export type RouteHostname =
  | { readonly kind: "exact"; readonly host: string }
  /** `suffix` keeps its leading dot: `*.example.com` → `.example.com`. */
  | { readonly kind: "wildcard"; readonly suffix: string };

export function parseRouteHostname(hostname: string): RouteHostname {
  const name = normalizeHost(hostname);
  if (name.startsWith("*.")) return { kind: "wildcard", suffix: name.slice(1) };
  return { kind: "exact", host: name };
}
