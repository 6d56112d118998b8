// STUB: replaced by the routing core (issue 2).
export type NormalizedPath = { ok: true; path: string } | { ok: false; reason: string };
export function normalizePath(rawPath: string, _options: { allowEncodedSlashes: boolean }): NormalizedPath {
  return { ok: true, path: rawPath };
}
export function normalizeHost(host: string): string {
  return host.toLowerCase();
}
