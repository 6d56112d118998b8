/**
 * Route hostnames: exact names and `*.` suffix wildcards (Gateway API). A wildcard matches one or more
 * labels in front of its suffix and never the bare suffix: `*.example.com` matches `a.example.com` and
 * `a.b.example.com`, not `example.com`.
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

/**
 * Calls `visit` with every wildcard suffix that could cover `host`, longest first, until it returns
 * something. `a.b.example.com` → `.b.example.com`, `.example.com`, `.com`. Cost: one call per label.
 */
export function findBySuffix<T>(host: string, visit: (suffix: string) => T | undefined): T | undefined {
  // A suffix needs at least one character in front of it: ".example.com" itself is no name.
  let dot = host.indexOf(".", 1);
  while (dot !== -1) {
    const found = visit(host.slice(dot));
    if (found !== undefined) return found;
    dot = host.indexOf(".", dot + 1);
  }
  return undefined;
}
